import type { Packet } from "mqtt-packet";
import type {
  HandlerContext,
  NotStored,
  SessionContext,
  SessionEnding,
} from "../../handlers/types.ts";
import type { Logger } from "../log.ts";
import type { SessionRef } from "../mqtt/session.ts";
import { ClientDelivery, type DeliveryOutput } from "../delivery/client_delivery.ts";
import { describeError, type ProtocolError } from "../errors.ts";
import { type DecoderSink, PacketDecoder } from "../mqtt/codec.ts";
import { encodePacket } from "../mqtt/packet_encoder.ts";
import { disconnect, type Outgoing } from "../mqtt/packets.ts";
import type { DecodedPublish } from "../mqtt/publish_decoder.ts";
import type { Properties } from "../mqtt/v5_properties.ts";
import { InboundAliases } from "./inbound_aliases.ts";
import type { Linked } from "./linked_set.ts";
import { Reason } from "../mqtt/reason_codes.ts";
import type { Transport, TransportPeer } from "../runtime/types.ts";
import {
  type ConnectionDeps,
  handlerContext,
  sessionContext,
  type SubscriptionLookup,
} from "./connection_deps.ts";
import { type Closing, endSession, logClosed } from "./connection_end.ts";
import { handlePacket, type PacketHost } from "./packet_handling.ts";
import { SerialQueue } from "./serial_queue.ts";
import { Liveness } from "./liveness.ts";
import { OrderedSends } from "./ordered_sends.ts";
import { Outbound } from "./outbound.ts";

/** A packet as decoded (no wrapper: one object less per PUBLISH), or what else happened. */
type Work = Packet | {
  kind: "violation";
  reason: string;
  /** The reason code an MQTT 5 client's DISCONNECT carries. */
  code: number;
} | {
  kind: "ended";
};

let nextId = 0;

/**
 * One client connection, whatever the transport: decodes packets, runs them through handlers
 * one at a time in arrival order, applies the effects, and enforces keepalive and limits.
 */
export class Connection implements TransportPeer, Linked<Connection> {
  /**
   * What the decoder and the effects act on, as methods on one prototype rather than closures
   * made for every connection (an instance holds tens of thousands).
   */
  static #Parts = class implements DecoderSink, PacketHost, DeliveryOutput, SubscriptionLookup {
    constructor(readonly c: Connection) {}

    get connectionId(): string {
      return this.c.id;
    }

    get context(): HandlerContext {
      return this.c.#ctx;
    }

    get sessionContext(): SessionContext | null {
      return this.c.#sessionCtx;
    }

    get closing(): boolean {
      return this.c.#closing;
    }

    get log(): Logger {
      return this.c.deps.log;
    }

    failed(packet: Packet, err: unknown): void {
      this.c.#failed(packet, err);
    }

    failedToRun(work: Work, err: unknown): void {
      if ("cmd" in work) return this.c.#failed(work, err);
      this.c.deps.log.error("connection.failed", {
        step: work.kind,
        clientId: this.c.clientId,
        connection: this.c.id,
        ...describeError(err),
      });
      this.c.#close(`Internal error: ${work.kind}`, { code: Reason.implementationSpecificError });
    }

    packet(packet: Packet, bytes: number): void {
      const c = this.c;
      c.msgsIn++;
      c.deps.stats.msgsIn++;
      c.deps.stats.bytesIn += bytes;
      // Answers to CONNECT (a refusal too) are in the client's version, before any session.
      if (packet.cmd === "connect" && packet.protocolVersion === 5 && c.deps.config.mqtt5) {
        c.#version = 5;
      }
      if (packet.cmd === "publish" && c.#version === 5) {
        // Aliases are set in arrival order, before any handler runs: resolved here.
        c.#aliases ??= new InboundAliases(c.deps.config.topicAliasMaximum);
        const wrong = c.#aliases.resolve(packet as DecodedPublish);
        if (wrong) return void c.#queue.push({ kind: "violation", ...wrong });
      }
      c.#queue.push(packet);
    }

    error(err: ProtocolError): void {
      this.c.#queue.push({ kind: "violation", reason: err.message, code: err.code });
    }

    send(packet: Outgoing): void {
      this.c.#send(packet);
    }

    sendWhenStored(pending: Promise<Packet | NotStored | null>): void | Promise<void> {
      return (this.c.#acks ??= new OrderedSends(this)).add(pending);
    }

    async close(
      reason: string,
      graceful: boolean,
      code?: number,
      ending?: SessionEnding,
    ): Promise<void> {
      this.c.#closingHow = { ...this.c.#closingHow, graceful, ending: ending ?? null };
      // Acknowledgements of what was stored go out before the connection ends.
      await this.c.#acks?.settled();
      this.c.#close(reason, { code: graceful ? undefined : code ?? Reason.unspecifiedError });
    }

    violation(reason: string): void {
      this.c.#violation(reason);
    }

    bind(session: SessionRef): void {
      this.c.#bind(session);
    }

    delivery(): ClientDelivery | null {
      return this.c.delivery;
    }

    subscribed(filter: string): boolean {
      return this.c.delivery?.grants.has(filter) ?? false;
    }

    startDelivery(): ClientDelivery | null {
      return this.c.#startDelivery();
    }

    run(work: Work): void | Promise<void> {
      return this.c.#step(work);
    }

    // DeliveryOutput: where the client's PUBLISHes go.
    write(bytes: Uint8Array, droppable: boolean): boolean {
      return this.c.#deliver(bytes, droppable);
    }

    fail(reason: string): void {
      this.c.#close(reason);
    }

    writable(): Promise<void> {
      return this.c.#out.writable();
    }

    expire(reason: string): void {
      this.c.#close(reason, { code: Reason.keepAliveTimeout });
    }

    overflow(): void {
      const max = this.c.deps.config.maxPendingBytes;
      this.c.#close(`Slow consumer: over ${4 * max} bytes unread`, { discard: true });
    }

    notStored(reason: string): void {
      this.c.#close(`${reason}; the client sends it again when it reconnects`, {
        code: Reason.implementationSpecificError,
      });
    }
  };

  readonly id: string;
  readonly openedAt = Date.now();
  session: SessionRef | null = null;
  delivery: ClientDelivery | null = null;
  closeReason: string | null = null;
  /** A drain is sending this connection away. */
  sentAway = false;
  /** MQTT 5 topic aliases the client set on this connection. */
  #aliases: InboundAliases | null = null;
  /** The protocol version packets to this client are encoded for. */
  #version = 4;
  #closing = false;
  #ended = false;
  /** Set as it closes when that is more than a lost connection (see connection_end.ts). */
  #closingHow: Closing | null = null;
  #ctx: HandlerContext;
  /** Set once the session is bound: the context of every packet after CONNECT. */
  #sessionCtx: SessionContext | null = null;
  #effects: PacketHost & DeliveryOutput & SubscriptionLookup;
  #decoder: PacketDecoder;
  #out: Outbound;
  #queue: SerialQueue<Work>;
  /**
   * Stores run concurrently, pipelined on one NATS connection; their PUBACKs keep order. Made
   * with the first: a subscriber that never publishes at QoS 1 or 2 does not pay for it.
   */
  #acks: OrderedSends | null = null;
  #liveness: Liveness;
  msgsIn = 0;
  msgsOut = 0;
  /** The instance's set of open connections links through these (linked_set.ts). */
  linkPrev: Connection | null = null;
  linkNext: Connection | null = null;

  constructor(
    readonly transport: Transport,
    readonly deps: ConnectionDeps,
    /** Called once the connection has ended and its session was dealt with. */
    readonly onEnded: (conn: Connection) => void = () => {},
  ) {
    this.id = `${deps.instanceId}-${++nextId}`;
    this.#ctx = handlerContext(deps, this.id, transport.remoteAddress, null);
    const parts = new Connection.#Parts(this);
    this.#effects = parts;
    this.#liveness = new Liveness(parts);
    this.#queue = new SerialQueue<Work>(transport, parts);
    this.#decoder = new PacketDecoder(deps.config.maxPacketSize, parts);
    this.#out = new Outbound(transport, deps.config.maxPendingBytes, parts);
    this.#liveness.awaitConnect(deps.config.connectTimeoutMs);
  }

  get clientId(): string | undefined {
    return this.session?.clientId;
  }

  get pendingBytes(): number {
    return this.#out.pendingBytes;
  }

  get droppedMessages(): number {
    return this.#out.dropped;
  }

  /** Bytes from the socket. */
  receive(chunk: Uint8Array): void {
    this.#liveness.seen();
    if (this.#closing) return;
    this.#decoder.push(chunk);
  }

  /** The socket can take more bytes. */
  drain(): void {
    this.#out.drain();
  }

  /** The socket is gone. Packets already received are still handled, then the session ends. */
  transportClosed(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#liveness.stop();
    this.delivery?.close();
    this.#queue.push({ kind: "ended" });
  }

  /** A PUBLISH for this client; QoS 0 ones are `droppable` when the client reads too slowly. */
  #deliver(bytes: Uint8Array, droppable: boolean): boolean {
    if (this.#closing) return false;
    if (this.#out.write(bytes, droppable)) {
      this.msgsOut++;
      this.deps.stats.msgsOut++;
      this.deps.stats.bytesOut += bytes.length;
      return true;
    }
    if (droppable) this.deps.stats.droppedQos0++;
    return false;
  }

  /** A newer connection claimed this client id [MQTT-3.1.4-2]. */
  takenOver(): void {
    // Its deliveries stop now: JetStream's next ones are for the new owner.
    this.delivery?.close();
    this.#close("Session taken over by a newer connection [MQTT-3.1.4-2]", {
      code: Reason.sessionTakenOver,
    });
  }

  /**
   * Closes the connection for a drain: the client should connect again (to another instance),
   * and its will waits `willDelayMs` for it to do so.
   */
  sendAway(reason: string, willDelayMs: number): void {
    this.#closingHow = { ...this.#closingHow, willDelayMs };
    this.sentAway = true;
    // With a reference configured, an MQTT 5 client is told where to go (0x9C, 4.11).
    const serverReference = this.deps.config.serverReference;
    this.#close(reason, {
      code: serverReference ? Reason.useAnotherServer : Reason.serverShuttingDown,
      ...(serverReference ? { props: { serverReference } } : {}),
    });
  }

  /** Closes the connection from outside (shutdown). */
  shutdown(reason: string): void {
    this.#close(reason, { code: Reason.serverShuttingDown });
  }

  #step(work: Work): void | Promise<void> {
    if ("cmd" in work) return this.#closing ? undefined : handlePacket(work, this.#effects);
    if (work.kind === "ended") return this.#end();
    if (this.#closing) return;
    return this.#violation(work.reason, work.code);
  }

  #failed(packet: Packet, err: unknown): void {
    this.deps.log.error("handler.failed", {
      cmd: packet.cmd,
      clientId: this.clientId,
      connection: this.id,
      ...describeError(err),
    });
    this.#close(`Internal error while handling ${packet.cmd.toUpperCase()}`, {
      code: Reason.implementationSpecificError,
    });
  }

  #send(packet: Outgoing): void {
    this.#out.write(encodePacket(packet, this.#version), false);
  }

  /** Made on the first subscription: an idle connection does not pay for one. */
  #startDelivery(): ClientDelivery | null {
    if (this.delivery || !this.session || this.#ended) return this.delivery;
    this.delivery = new ClientDelivery(this.session, this.deps, this.#effects);
    return this.delivery;
  }

  #bind(session: SessionRef): void {
    this.session = session;
    this.#version = session.protocolVersion;
    this.#sessionCtx = sessionContext(
      this.deps,
      this.id,
      this.transport.remoteAddress,
      session,
      this.#effects,
    );
    this.#ctx = this.#sessionCtx;
    this.#liveness.connected(session.keepalive);
    this.deps.auth.counts.add(session.identity.name);
    this.deps.registry.bind(this);
  }

  #violation(reason: string, code: number = Reason.protocolError): void {
    this.deps.stats.protocolErrors++;
    this.deps.log.warn("client.protocol_error", {
      clientId: this.clientId,
      connection: this.id,
      remote: this.transport.remoteAddress,
      reason,
    });
    this.#close(reason, { code });
  }

  /**
   * Closes the connection once what is pending is written; an MQTT 5 client is told why with a
   * DISCONNECT carrying `code` [MQTT-4.13.2-1] (3.1.1 has no server DISCONNECT).
   */
  #close(
    reason: string,
    opts: { discard?: boolean; code?: number; props?: Properties } = {},
  ): void {
    if (this.#closing) return;
    this.#closing = true;
    this.closeReason = reason;
    this.#liveness.stop();
    if (opts.code !== undefined && this.#version === 5 && this.session && !opts.discard) {
      this.#out.write(encodePacket(disconnect(opts.code, opts.props), 5), false);
    }
    this.#out.end(opts.discard === true);
  }

  async #end(): Promise<void> {
    this.#closing = true;
    if (this.session) this.deps.auth.counts.remove(this.session.identity.name);
    await endSession(this, this.#closingHow, this.#ctx, this.deps.log);
    // Registered until its session is dealt with: a takeover meanwhile still finds it here,
    // and learns whether a drain sent it away.
    this.deps.registry.unbind(this);
    logClosed(this, this.deps.log);
    this.onEnded(this);
  }
}
