import type { SessionRef } from "../mqtt/session.ts";
import { RETAIN_HEADER } from "../mqtt/message_props.ts";
import { startsWithWildcard, topicBytes } from "../mqtt/topic_map.ts";
import { hidesDollar } from "../mqtt/subject_match.ts";
import { type Bus, type BusSubscription, leaveDeliveries } from "../nats/bus.ts";
import type { BusMessage } from "../nats/bus_message.ts";
import type { SessionConsumers } from "../nats/consumers.ts";
import { deliverSubject, MESSAGE_SUBJECT_PREFIX, parseAckSubject } from "../nats/names.ts";
import type { ClientSender } from "./client_sender.ts";
import { isCanonical } from "./fanout.ts";
import type { GrantSet } from "./grant_set.ts";
import { storedPacketId } from "./in_flight.ts";
import { DeliveredSource, isOwn } from "./mqtt5_publishes.ts";

/** What stored deliveries ask of the connection's delivery they are part of. */
export interface DeliveryGate {
  /** The connection is ending: what arrives now goes back to JetStream. */
  readonly closed: boolean;
  /** Keeps `send` for later while the retained messages go first; false when nothing waits. */
  defer(send: () => void): boolean;
}

/**
 * A persistent session's QoS 1/2 messages, from its durable consumers' deliver subjects: they
 * wait in JetStream while the client is away, and each is acknowledged there once the client
 * has it. One subscription per consumer subject the session's grants need.
 */
export class StoredDeliveries {
  /** Consumer subject → its deliver-subject subscription. */
  #subs = new Map<string, BusSubscription>();

  constructor(
    readonly session: SessionRef,
    readonly deps: { readonly bus: Bus; readonly consumers: SessionConsumers },
    readonly grants: GrantSet,
    readonly send: ClientSender,
    readonly gate: DeliveryGate,
  ) {}

  /**
   * Listens on every consumer subject the grants need and is not listened on yet; on `resume`,
   * each consumer's unacknowledged messages first. True when a subscription was made.
   */
  async listen(resume: boolean): Promise<boolean> {
    let made = false;
    for (const subject of this.grants.storedSubjects().keys()) {
      if (this.#subs.has(subject)) continue;
      // JetStream pushes nothing while nobody listens, so asking for the unacknowledged ones
      // before listening puts them ahead of everything newer, in their order.
      if (resume) await this.deps.consumers.redeliverPending(this.session.key, subject);
      if (this.gate.closed) return made;
      const sub = this.deps.bus.subscribe(
        deliverSubject(this.session.key, subject),
        (m) => this.#onMessage(subject, m),
      );
      this.#subs.set(subject, sub);
      made = true;
    }
    return made;
  }

  /** Stops listening on the consumer subjects the grants no longer need. */
  dropStale(): void {
    const wanted = this.grants.storedSubjects();
    for (const [subject, sub] of this.#subs) {
      if (wanted.has(subject)) continue;
      leaveDeliveries(sub);
      this.#subs.delete(subject);
    }
  }

  /**
   * Unacknowledged messages stay pending in JetStream, for the session's next connection; one
   * on its way as this connection ends is handed back (the gate is closed by then), so that the
   * next connection gets it at once, not after ack_wait.
   */
  close(): void {
    for (const sub of this.#subs.values()) leaveDeliveries(sub);
    this.#subs.clear();
  }

  #onMessage(consumerSubject: string, m: BusMessage): void {
    const ack = parseAckSubject(m.reply);
    if (!ack || !m.reply) return;
    // Closing (taken over, say): hand it back at once, for the session's next connection.
    if (this.gate.closed) return this.deps.bus.nak(m.reply);
    if (this.gate.defer(() => this.#onMessage(consumerSubject, m))) return;
    const subject = m.subject.slice(MESSAGE_SUBJECT_PREFIX.length);
    const wanted = this.grants.storedSubjects();
    const skip = !wanted.has(consumerSubject) || // a filter unsubscribed meanwhile
      hidesDollar(startsWithWildcard(consumerSubject), subject) ||
      // Overlapping filters: only one consumer delivers a message, the others let it go, and
      // it goes at the highest QoS of them all [MQTT-3.3.5-1].
      (this.grants.overlapping && !isCanonical(consumerSubject, wanted.keys(), subject));
    if (skip || !this.send.mayReceive(subject)) return this.deps.bus.ack(m.reply);
    const options = this.grants.options(subject);
    if (options.noLocal && isOwn(m, this.session.clientId)) return this.deps.bus.ack(m.reply);
    const retain = options.retainAsPublished && m.headers?.get(RETAIN_HEADER) === "1";
    const qos = Math.min(m.qos ?? 1, this.grants.storedQosFor(subject, consumerSubject));
    if (qos === 0) {
      // Its reply subject is JetStream's acknowledgement, no Response Topic: headers only.
      const source = new DeliveredSource(m);
      const bytes = this.send.encode(subject, topicBytes(subject), m.data, 0, retain, source);
      if (bytes) this.send.writeDroppable(bytes);
      this.deps.bus.ack(m.reply);
      return;
    }
    const held = this.send.inFlight.get(storedPacketId(ack.streamSeq));
    if (held?.released && held.streamSeq === ack.streamSeq) {
      // Received (PUBREC) before a reconnect, and JetStream had not heard: never sent again.
      this.deps.bus.ack(m.reply);
      return;
    }
    if (this.send.full()) return this.send.wait(() => this.#onMessage(consumerSubject, m));
    const id = this.send.inFlight.takeStored(ack.streamSeq, m.reply, qos as 1 | 2);
    if (id === null) return; // JetStream sends it again after ack_wait, once the id is free
    const dup = ack.delivered > 1;
    const source = new DeliveredSource(m);
    const topic = topicBytes(subject);
    const bytes = this.send.encode(subject, topic, m.data, qos as 1 | 2, retain, source, dup, id);
    if (!bytes) {
      // Expired, or too large for this client: delivered as far as MQTT 5 is concerned.
      this.send.inFlight.release(id);
      this.deps.bus.ack(m.reply);
      return;
    }
    if (!this.send.write(bytes)) {
      this.send.inFlight.release(id);
      this.deps.bus.nak(m.reply);
    }
  }
}
