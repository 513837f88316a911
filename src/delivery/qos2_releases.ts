import type { HeldMessage, SessionRef } from "../mqtt/session.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { encodePubrel } from "../mqtt/packets.ts";
import type { Bus } from "../nats/bus.ts";
import type { Qos2Store } from "../nats/qos2.ts";
import type { InFlight } from "./in_flight.ts";

/**
 * The second half of QoS 2 deliveries to one client: PUBREC → PUBREL → PUBCOMP. For a persistent
 * session each step is written down (KV) so that any instance continues it; the writes run in a
 * chain of their own, so the connection reads on while they are under way.
 */
export class Qos2Releases {
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly session: SessionRef,
    readonly deps: { readonly qos2: Qos2Store; readonly bus: Bus; readonly log: Logger },
    readonly inFlight: InFlight,
    readonly write: (bytes: Uint8Array) => void,
    /** Ends the connection: the client gets the PUBLISH again when it reconnects. */
    readonly fail: (reason: string) => void,
  ) {}

  /**
   * PUBREC: the client has the message. It is written down before JetStream forgets it, so no
   * instance ever sends that PUBLISH again [MQTT-4.3.3-1], only PUBREL, which goes out then.
   */
  received(packetId: number): void {
    const entry = this.inFlight.get(packetId);
    if (!entry || entry.qos !== 2 || entry.released) return this.write(encodePubrel(packetId));
    entry.released = true;
    const at = Date.now();
    this.#chain = this.#chain.then(async () => {
      try {
        if (!this.session.clean) {
          await this.deps.qos2.received(this.session.key, {
            packetId,
            streamSeq: entry.streamSeq,
            at,
            ...(entry.reply ? { ack: entry.reply } : {}),
          });
        }
        if (entry.reply) this.deps.bus.ack(entry.reply);
        this.write(encodePubrel(packetId));
      } catch (err) {
        // Not written down (its retries spent): no PUBREL. The connection ends, and on resume
        // the PUBLISH goes out again with DUP, which the client answers with PUBREC again.
        entry.released = false;
        this.deps.log.warn("qos2.release_failed", {
          clientId: this.session.clientId,
          packetId,
          ...describeError(err),
          action: "closing the connection",
        });
        this.fail(`QoS 2 PUBREC ${packetId} not written down: ${describeError(err).message}`);
      }
    });
  }

  /**
   * A shared subscription's QoS 2 message for this persistent session: written down as the
   * session's before the group forgets it (acknowledged in JetStream), then sent. From then on no
   * other member gets it [MQTT-4.8.2-4]; this session gets it again on resume.
   */
  own(
    packetId: number,
    streamSeq: number,
    publish: HeldMessage,
    reply: string,
    bytes: Uint8Array,
  ): void {
    const at = Date.now();
    this.#chain = this.#chain.then(async () => {
      try {
        await this.deps.qos2.owned(this.session.key, { packetId, streamSeq, at, publish });
        this.deps.bus.ack(reply);
        this.write(bytes);
      } catch (err) {
        // Not written down: the group keeps it (unacknowledged) for another member.
        this.inFlight.release(packetId);
        this.deps.bus.nak(reply);
        this.deps.log.warn("qos2.share_failed", {
          clientId: this.session.clientId,
          packetId,
          ...describeError(err),
          action: "closing the connection",
        });
        this.fail(`Shared QoS 2 message not written down: ${describeError(err).message}`);
      }
    });
  }

  /**
   * MQTT 5 PUBREC with a reason of 0x80 or more: the client will not take the message. The flow
   * ends there, without PUBREL; the message is not sent again (to this client or another).
   */
  refused(packetId: number): void {
    const entry = this.inFlight.release(packetId);
    if (entry?.reply) this.deps.bus.ack(entry.reply);
  }

  /** PUBCOMP: the delivery is done and its identifier free. */
  completed(packetId: number): void {
    this.inFlight.release(packetId);
    if (this.session.clean) return;
    this.#chain = this.#chain.then(() =>
      this.deps.qos2.completed(this.session.key, packetId).catch((err) =>
        this.deps.log.warn("qos2.complete_failed", { packetId, ...describeError(err) })
      )
    );
  }

  /** On resume: a delivery the client received before is owed its PUBREL again [MQTT-4.4.0-1]. */
  resend(packetId: number, streamSeq: number): void {
    this.inFlight.restoreReleased(packetId, streamSeq);
    this.write(encodePubrel(packetId));
  }
}
