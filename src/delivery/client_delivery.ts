import type { Grant, HeldMessage, QoS, SessionRef } from "../mqtt/session.ts";
import type { Logger } from "../log.ts";
import { RETAIN_HEADER } from "../mqtt/message_props.ts";
import { startsWithWildcard, topicBytes } from "../mqtt/topic_map.ts";
import type { Bus } from "../nats/bus.ts";
import type { SessionConsumers } from "../nats/consumers.ts";
import type { RetainedMessage, RetainedStore } from "../nats/retained.ts";
import type { Qos2Store } from "../nats/qos2.ts";
import { describeError } from "../errors.ts";
import type { Fanout, FanoutMessage, Subscriber } from "./fanout.ts";
import { ClientSender, type DeliveryOutput } from "./client_sender.ts";
import { GrantSet } from "./grant_set.ts";
import { hidesDollar } from "../mqtt/subject_match.ts";
import { SharedSubscriptions } from "./shared_subscriptions.ts";
import { SharedDeliveries } from "./shared_deliveries.ts";
import { type DeliveryGate, StoredDeliveries } from "./stored_deliveries.ts";
import { isOwn } from "./mqtt5_publishes.ts";

export type { DeliveryOutput };

export interface AddOptions {
  readonly resume: boolean;
  /** Live messages wait until `sendRetained` has sent the retained ones. */
  readonly holdForRetained?: boolean;
  /** Wait for NATS to have the subscriptions (a SUBACK follows); default true. */
  readonly confirm?: boolean;
}

export interface DeliveryDeps {
  readonly fanout: Fanout;
  readonly bus: Bus;
  readonly consumers: SessionConsumers;
  readonly retained: RetainedStore;
  readonly qos2: Qos2Store;
  readonly log: Logger;
  /** Counts messages per shared subscription's group (monitoring). */
  readonly stats?: { sharedMessage(filter: string): void };
  /** Shared subscriptions' QoS 1/2 messages a 3.1.1 member holds at most (default 64). */
  readonly config?: { readonly maxSharedInflight: number };
}

/**
 * Everything one connection receives. Plain NATS subjects come through the instance's shared
 * fanout; a persistent session's QoS 1 messages come from its durable consumers' deliver
 * subjects, so that they wait in JetStream while the client is away. Only live state is here:
 * all of it can be rebuilt from JetStream by whichever instance the client reconnects to.
 */
export class ClientDelivery implements Subscriber, DeliveryGate {
  #grants = new GrantSet();
  /** A persistent session's consumers' messages; made with its first stored grant. */
  #stored: StoredDeliveries | null = null;
  #closed = false;
  /** How this client's PUBLISHes go out: identifiers, windows, QoS 2 releases, MQTT 5. */
  readonly #send: ClientSender;
  /** Live messages held back while retained ones are sent, so those go first. */
  #held: Array<() => void> | null = null;
  /** Memberships of shared subscriptions' groups; made on first use. */
  #shares: SharedSubscriptions | null = null;
  #sharedOut: SharedDeliveries | null = null;

  constructor(
    readonly session: SessionRef,
    readonly deps: DeliveryDeps,
    readonly out: DeliveryOutput,
  ) {
    this.#send = new ClientSender(session, deps, out, this.#grants);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** While retained messages go first, live ones wait (see AddOptions.holdForRetained). */
  defer(send: () => void): boolean {
    if (!this.#held) return false;
    this.#held.push(send);
    return true;
  }

  get inFlight(): number {
    return this.#send.inFlightCount;
  }

  get overlappingPatterns(): Iterable<string> | null {
    return this.#grants.overlapping ? this.#grants.subjects() : null;
  }

  get grants(): ReadonlyMap<string, Grant> {
    return this.#grants.grants;
  }

  /**
   * A clean session with a QoS 1 subscription gets its QoS 1 messages only through this
   * instance's NATS connection: if that connection drops, messages may be missed.
   */
  get dependsOnNatsLink(): boolean {
    if (!this.session.clean) return false;
    return this.#grants.anyAboveQos0;
  }

  /**
   * Starts delivery for the grants. With `confirm`, resolves once NATS has every new
   * subscription, so messages published after SUBACK arrive; on `resume`, unacknowledged stored
   * messages are sent again first [MQTT-4.4.0-1].
   */
  async add(grants: readonly Grant[], how: AddOptions): Promise<void> {
    const { resume, holdForRetained = false, confirm = true } = how;
    if (this.#closed) return;
    if (holdForRetained) this.#held ??= [];
    const { added, removed } = this.#grants.add(grants);
    // Listen on the new subjects before leaving the old: no message is lost in between.
    let flush = this.deps.fanout.join(this, added);
    if (this.#grants.anyShared || this.#shares) flush = this.#syncShares() || flush;
    this.deps.fanout.leave(this, removed);
    if (this.#grants.storedSubjects().size > 0) {
      this.#stored ??= new StoredDeliveries(
        this.session,
        this.deps,
        this.#grants,
        this.#send,
        this,
      );
      flush = await this.#stored.listen(resume) || flush;
      if (this.#closed) return;
    }
    this.#stored?.dropStale();
    if (flush && confirm) await this.deps.bus.flush();
  }

  remove(filters: readonly string[]): void {
    this.deps.fanout.leave(this, this.#grants.remove(filters).removed);
    if (this.#shares) this.#syncShares();
    this.#stored?.dropStale();
  }

  #syncShares(): boolean {
    this.#shares ??= new SharedSubscriptions(this.deps.bus, this.#sharedDeliveries);
    return this.#shares.sync(this.#grants.grants.values());
  }

  /** Made for the first shared subscription (or resent shared message). */
  get #sharedDeliveries(): SharedDeliveries {
    return this.#sharedOut ??= new SharedDeliveries(this.#send, this.deps);
  }

  /** The shared subscriptions' filters (`$share/…`) this connection is a member for. */
  get sharedFilters(): string[] {
    return [...this.#grants.grants.values()].filter((g) => g.share).map((g) => g.filter);
  }

  /** The client acknowledged a QoS 1 PUBLISH; the stored message is acknowledged in JetStream. */
  acked(packetId: number): void {
    const entry = this.#send.inFlightIfAny?.release(packetId);
    if (entry?.reply) this.deps.bus.ack(entry.reply);
    this.#send.pump();
  }

  /** PUBREC, PUBCOMP, and PUBREL again on resume: see Qos2Releases. */
  received(packetId: number, refused = false): void {
    if (refused) {
      this.#send.releases.refused(packetId);
      return this.#send.pump();
    }
    this.#send.releases.received(packetId);
  }

  completed(packetId: number): void {
    this.#send.releases.completed(packetId);
    this.#send.pump();
  }

  resendRelease(packetId: number, streamSeq: number): void {
    this.#send.releases.resend(packetId, streamSeq);
  }

  /**
   * Stops every delivery. Unacknowledged stored messages stay pending in JetStream and go out
   * again when the session resumes.
   */
  close(): void {
    this.#closed = true;
    this.#send.closed = true;
    this.deps.fanout.leave(this, this.#grants.subjects());
    this.#stored?.close();
    this.#stored = null;
    if (this.#shares) {
      // A shared QoS 1 message this client did not acknowledge goes to another member now,
      // not after ack_wait: no longer listening, this connection cannot be chosen again.
      this.#shares.close();
      const inFlight = this.#send.inFlightIfAny;
      for (const e of inFlight?.sharedPending() ?? []) this.deps.bus.nak(e.reply ?? "");
    }
  }

  /**
   * Sends the retained messages matching new grants, with RETAIN set [MQTT-3.3.1-6] at
   * min(stored QoS, granted QoS) [MQTT-3.3.1-8], once per topic, then lets the live messages
   * held meanwhile go.
   */
  async sendRetained(grants: readonly Grant[]): Promise<void> {
    const sent = this.#grants.overlapping ? new Set<string>() : null;
    try {
      for (const g of grants) {
        for (const pattern of g.subjects) {
          if (this.#closed) return;
          await this.deps.retained.lookup(
            pattern,
            (m) => this.#sendRetained(pattern, m, sent),
            () => this.out.writable(),
          );
        }
      }
    } catch (err) {
      this.deps.log.warn("retained.lookup_failed", {
        clientId: this.session.clientId,
        ...describeError(err),
      });
    } finally {
      const held = this.#held ?? [];
      this.#held = null;
      for (const send of held) send();
    }
  }

  #sendRetained(pattern: string, m: RetainedMessage, sent: Set<string> | null): void {
    if (hidesDollar(startsWithWildcard(pattern), m.subject) || !this.#send.mayReceive(m.subject)) {
      return;
    }
    // A topic matched by several new filters is sent once, at the highest QoS [MQTT-3.3.5-1].
    if (sent) {
      if (sent.has(m.subject)) return;
      sent.add(m.subject);
    }
    const qos = Math.min(m.qos, this.#grants.qosFor(m.subject, pattern)) as QoS;
    this.#send.sendUnstored(m.subject, topicBytes(m.subject), m.payload, qos, true, m);
  }

  /** A QoS 0 PUBLISH of the fanout: encoded once for all, unless this client's are its own. */
  #shared(subject: string, message: FanoutMessage): Uint8Array | null {
    const v5 = this.#send.v5;
    if (!v5) return message.qos0;
    if (v5.ownBytes(this.#grants.anyOptions)) {
      return this.#send.encode(subject, message.topic, message.bus.data, 0, false, message.bus);
    }
    const bytes = message.qos0v5;
    return bytes && bytes.length <= v5.client.maximumPacketSize ? bytes : null;
  }

  /** A message on a plain subject, from the fanout. */
  deliver(pattern: string, message: FanoutMessage): void {
    if (this.defer(() => this.deliver(pattern, message))) return;
    const m = message.bus;
    if (!this.#send.mayReceive(m.subject)) return;
    const options = this.#grants.options(m.subject);
    if (options.noLocal && isOwn(m, this.session.clientId)) return;
    const retain = options.retainAsPublished && m.headers?.get(RETAIN_HEADER) === "1";
    if (retain) {
      // Retain As Published: this subscriber's copy keeps the flag, so it is its own.
      const qos = Math.min(m.qos ?? 0, this.#grants.qosFor(m.subject, pattern)) as QoS;
      if (!this.session.clean && m.stored && this.#grants.storedQosFor(m.subject) > 0) return;
      const q = this.session.clean ? qos : 0;
      return this.#send.sendUnstored(m.subject, message.topic, m.data, q, true, m);
    }
    if (!this.session.clean) {
      // A QoS 1/2 subscription gets the stored copy from its consumer, not this one, even while
      // that consumer is still being listened to on resume (it delivers the copy then).
      if (m.stored && this.#grants.storedQosFor(m.subject) > 0) return;
      const bytes = this.#shared(m.subject, message);
      if (bytes) this.#send.writeDroppable(bytes);
      return;
    }
    // Overlapping filters: the one copy goes at the highest QoS granted [MQTT-3.3.5-1].
    const qos = Math.min(m.qos ?? 0, this.#grants.qosFor(m.subject, pattern)) as QoS;
    // QoS 0 shares the bytes encoded once for every subscriber, and may be dropped.
    if (qos === 0) {
      const bytes = this.#shared(m.subject, message);
      if (bytes) this.#send.writeDroppable(bytes);
    } else this.#send.sendUnstored(m.subject, message.topic, m.data, qos, false, m);
  }

  /** On resume: a shared QoS 2 message the session owns goes out again, DUP [MQTT-4.8.2-4]. */
  resendPublish(packetId: number, streamSeq: number, message: HeldMessage): void {
    this.#sharedDeliveries.resend(packetId, streamSeq, message);
  }
}
