import type { Grant, QoS, SessionRef } from "../mqtt/session.ts";
import type { Logger } from "../log.ts";
import { encodePublish } from "../mqtt/packets.ts";
import { subjectToTopic } from "../mqtt/topic_map.ts";
import type { Bus } from "../nats/bus.ts";
import type { Qos2Store } from "../nats/qos2.ts";
import type { GrantSet } from "./grant_set.ts";
import { InFlight } from "./in_flight.ts";
import { type MessageSource, Mqtt5Publishes } from "./mqtt5_publishes.ts";
import { Qos2Releases } from "./qos2_releases.ts";
import { ReceiveWindow } from "./receive_window.ts";

/** Where a client's deliveries go: the connection's bounded outbound buffer. */
export interface DeliveryOutput {
  /** False when the bytes were dropped (droppable QoS 0 over the buffer's bound). */
  write(bytes: Uint8Array, droppable: boolean): boolean;
  /** Ends the connection: the client cannot be served any more. */
  fail(reason: string): void;
  /** Resolves when the client is reading again (for bulk sends such as retained messages). */
  writable(): Promise<void>;
}

export interface SenderDeps {
  readonly bus: Bus;
  readonly qos2: Qos2Store;
  readonly log: Logger;
  /** Shared subscriptions' QoS 1/2 messages a 3.1.1 member holds at most (default 64). */
  readonly config?: { readonly maxSharedInflight: number };
}

/**
 * How one connection sends PUBLISHes, whatever they come from (the fanout, its consumers,
 * retained lookups, shared groups): packet identifiers in flight, the client's Receive Maximum,
 * QoS 2 releases, MQTT 5 encoding, the droppable QoS 0 writes. `ClientDelivery` decides what
 * this client gets; this sends it.
 */
export class ClientSender {
  // Made on first use: a connection that only receives QoS 0 never pays for them.
  #inFlightIds: InFlight | null = null;
  #releasesOf: Qos2Releases | null = null;
  /** MQTT 5 clients' PUBLISHes (properties, identifiers, aliases); null for 3.1.1. */
  readonly v5: Mqtt5Publishes | null;
  /** QoS 1/2 sends held back by an MQTT 5 client's Receive Maximum. */
  readonly #window: ReceiveWindow | null;
  /** The connection no longer receives anything. */
  closed = false;

  constructor(
    readonly session: SessionRef,
    readonly deps: SenderDeps,
    readonly out: DeliveryOutput,
    readonly grants: GrantSet,
  ) {
    const client = session.client;
    this.v5 = client ? new Mqtt5Publishes(client) : null;
    this.#window = client
      ? new ReceiveWindow(client.receiveMaximum, () => this.inFlightCount)
      : null;
  }

  get inFlight(): InFlight {
    return this.#inFlightIds ??= new InFlight();
  }

  get inFlightCount(): number {
    return this.#inFlightIds?.size ?? 0;
  }

  /** What the connection's in-flight table holds, without making one. */
  get inFlightIfAny(): InFlight | null {
    return this.#inFlightIds;
  }

  get releases(): Qos2Releases {
    return this.#releasesOf ??= new Qos2Releases(
      this.session,
      this.deps,
      this.inFlight,
      (b) => void this.out.write(b, false),
      (reason) => this.out.fail(reason),
    );
  }

  /** Whether the client's Receive Maximum is reached (MQTT 5): then sends wait. */
  full(): boolean {
    return this.#window?.full() ?? false;
  }

  /**
   * Whether a shared group's next QoS 1/2 message should go to another member: this one is at
   * its Receive Maximum (MQTT 5), or — a 3.1.1 client says nothing of what it can take — holds
   * its bounded share.
   */
  fullForShared(): boolean {
    if (this.v5) return this.full();
    const max = this.deps.config?.maxSharedInflight ?? 64;
    return (this.#inFlightIds?.sharedSize ?? 0) >= max;
  }

  wait(send: () => void): void {
    if (!this.#window?.wait(send)) this.out.fail("Client's Receive Maximum backlog full");
  }

  /** An identifier became free: a send held back by the Receive Maximum may go. */
  pump(): void {
    this.#window?.pump();
  }

  /** A wildcard subscription must not leak a topic the user may not receive. */
  mayReceive(subject: string): boolean {
    const p = this.session.identity.permissions;
    return !p?.checksDelivery || p.canReceive(subjectToTopic(subject));
  }

  /**
   * The PUBLISH as this client takes it: with the message's properties for MQTT 5, and the
   * Subscription Identifiers of the filters it matches (of `shared` alone for a shared
   * subscription's). Null when it must not be sent (see Mqtt5Publishes.encode), which counts as
   * delivered.
   */
  encode(
    subject: string,
    topic: Uint8Array,
    payload: Uint8Array,
    qos: QoS,
    retain: boolean,
    source: MessageSource,
    dup = false,
    id = 0,
    shared?: Grant,
  ): Uint8Array | null {
    if (!this.v5) return encodePublish(topic, payload, qos, retain, dup, id);
    const ids = shared
      ? (shared.options?.id ? [shared.options.id] : [])
      : this.grants.anyOptions
      ? this.grants.options(subject).ids
      : [];
    return this.v5.encode(subject, topic, payload, qos, retain, source, ids, dup, id);
  }

  /**
   * A message that is in no consumer (a clean session's, a retained one): it lives only in this
   * connection until acknowledged (README). Not dropped for a slow reader: it counts as sent.
   */
  sendUnstored(
    subject: string,
    topic: Uint8Array,
    payload: Uint8Array,
    qos: QoS,
    retain: boolean,
    source: MessageSource,
    shared?: Grant,
  ): void {
    if (qos === 0) {
      const bytes = this.encode(subject, topic, payload, 0, retain, source, false, 0, shared);
      if (bytes) this.out.write(bytes, false);
      return;
    }
    if (this.full()) {
      return this.wait(() =>
        this.sendUnstored(subject, topic, payload, qos, retain, source, shared)
      );
    }
    const id = this.inFlight.takeFree(qos);
    if (id === null) return this.out.fail("65535 QoS 1/2 messages unacknowledged");
    const bytes = this.encode(subject, topic, payload, qos, retain, source, false, id, shared);
    if (bytes) this.out.write(bytes, false);
    else this.inFlight.release(id);
  }

  /** Writes a QoS 0 PUBLISH the queue may drop for a slow reader; false when dropped. */
  writeDroppable(bytes: Uint8Array): boolean {
    if (this.out.write(bytes, true)) return true;
    this.v5?.dropped();
    return false;
  }

  /** Writes a PUBLISH that must not be dropped; false when the connection is gone. */
  write(bytes: Uint8Array): boolean {
    return this.out.write(bytes, false);
  }
}
