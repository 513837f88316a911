import type { Grant } from "../mqtt/session.ts";
import { encodePublish } from "../mqtt/packets.ts";
import { startsWithWildcard, subjectToTopic } from "../mqtt/topic_map.ts";
import type { Bus, BusMessage, BusSubscription } from "../nats/bus.ts";
import { hidesDollar, receives } from "../mqtt/subject_match.ts";
import { SubjectTrie } from "./subject_trie.ts";

/** A local receiver of messages: a connection. */
export interface Subscriber {
  /** A message on `pattern`, one of the subscriber's subjects; called once per message. */
  deliver(pattern: string, message: FanoutMessage): void;
}

const encoder = new TextEncoder();

/** One message on its way to every local subscriber: its topic and QoS 0 bytes made once. */
export class FanoutMessage {
  #topic: Uint8Array | undefined;
  #qos0: Uint8Array | undefined;

  constructor(readonly bus: BusMessage) {}

  get topic(): Uint8Array {
    return this.#topic ??= encoder.encode(subjectToTopic(this.bus.subject));
  }

  /** The QoS 0 PUBLISH, shared by every subscriber: never modify it. */
  get qos0(): Uint8Array {
    return this.#qos0 ??= encodePublish(this.topic, this.bus.data, 0, false);
  }
}

interface Interest {
  readonly sub: BusSubscription;
  /** Subscriber → how many of its filters use this subject. */
  readonly members: Map<Subscriber, number>;
  readonly wildcardFirst: boolean;
}

/**
 * Per-instance interest: one NATS subscription per distinct subject however many local
 * clients use it, each message encoded once and handed to every interested subscriber.
 * Messages published by this instance are matched locally instead (see `#local`).
 */
export class Fanout {
  #bySubject = new Map<string, Interest>();
  #filtersOf = new Map<Subscriber, Map<string, Grant>>();
  #patternsOf = new Map<Subscriber, Map<string, number>>();

  #trie = new SubjectTrie();

  constructor(readonly bus: Bus) {
    bus.onLocalPublish = (msg) => this.#local(msg);
  }

  /**
   * A message this instance published: NATS does not echo it back (no_echo), so its local
   * subscribers get it here, sooner and without the round trip.
   */
  #local(msg: BusMessage): void {
    for (const pattern of this.#trie.match(msg.subject)) this.#onMessage(pattern, msg);
  }

  /** Distinct NATS subscriptions held for local clients. */
  get subjectCount(): number {
    return this.#bySubject.size;
  }

  filtersOf(subscriber: Subscriber): ReadonlyMap<string, Grant> | undefined {
    return this.#filtersOf.get(subscriber);
  }

  /** Returns true when a new NATS subscription was made: the caller flushes before SUBACK. */
  add(subscriber: Subscriber, grants: readonly Grant[]): boolean {
    const subjectsBefore = this.#bySubject.size;
    let filters = this.#filtersOf.get(subscriber);
    if (!filters) this.#filtersOf.set(subscriber, filters = new Map());
    for (const grant of grants) {
      const old = filters.get(grant.filter);
      // Subscribe before unsubscribing the old grant's subjects, so none is dropped in between.
      filters.set(grant.filter, grant);
      for (const s of grant.subjects) this.#join(subscriber, s);
      if (old) { for (const s of old.subjects) this.#leave(subscriber, s); }
    }
    return this.#bySubject.size > subjectsBefore;
  }

  remove(subscriber: Subscriber, filters: readonly string[]): void {
    const mine = this.#filtersOf.get(subscriber);
    if (!mine) return;
    for (const filter of filters) {
      const grant = mine.get(filter);
      if (!grant) continue;
      mine.delete(filter);
      for (const s of grant.subjects) this.#leave(subscriber, s);
    }
  }

  removeAll(subscriber: Subscriber): void {
    const mine = this.#filtersOf.get(subscriber);
    if (mine) this.remove(subscriber, [...mine.keys()]);
    this.#filtersOf.delete(subscriber);
    this.#patternsOf.delete(subscriber);
  }

  #join(subscriber: Subscriber, subject: string): void {
    let patterns = this.#patternsOf.get(subscriber);
    if (!patterns) this.#patternsOf.set(subscriber, patterns = new Map());
    patterns.set(subject, (patterns.get(subject) ?? 0) + 1);
    let interest = this.#bySubject.get(subject);
    if (!interest) {
      interest = {
        sub: this.bus.subscribe(subject, (m) => this.#onMessage(subject, m)),
        members: new Map(),
        wildcardFirst: startsWithWildcard(subject),
      };
      this.#bySubject.set(subject, interest);
      this.#trie.add(subject);
    }
    interest.members.set(subscriber, (interest.members.get(subscriber) ?? 0) + 1);
  }

  #leave(subscriber: Subscriber, subject: string): void {
    const patterns = this.#patternsOf.get(subscriber);
    const left = (patterns?.get(subject) ?? 0) - 1;
    if (left > 0) patterns?.set(subject, left);
    else patterns?.delete(subject);
    const interest = this.#bySubject.get(subject);
    if (!interest) return;
    const count = (interest.members.get(subscriber) ?? 0) - 1;
    if (count > 0) {
      interest.members.set(subscriber, count);
      return;
    }
    interest.members.delete(subscriber);
    if (interest.members.size === 0) {
      interest.sub.unsubscribe();
      this.#bySubject.delete(subject);
      this.#trie.remove(subject);
    }
  }

  #onMessage(pattern: string, msg: BusMessage): void {
    const interest = this.#bySubject.get(pattern);
    if (!interest) return;
    const subject = msg.subject;
    if (hidesDollar(interest.wildcardFirst, subject)) return;
    let message: FanoutMessage | undefined;
    for (const subscriber of interest.members.keys()) {
      const patterns = this.#patternsOf.get(subscriber);
      if (patterns && patterns.size > 1 && !isCanonical(pattern, patterns.keys(), subject)) {
        continue;
      }
      subscriber.deliver(pattern, message ??= new FanoutMessage(msg));
    }
  }
}

/**
 * A message matching several of one client's subjects reaches each NATS subscription once;
 * only the smallest matching subject delivers it, so the client gets it once.
 */
export function isCanonical(pattern: string, patterns: Iterable<string>, subject: string): boolean {
  for (const other of patterns) {
    if (other < pattern && receives(other, subject)) return false;
  }
  return true;
}
