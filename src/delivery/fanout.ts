import { encodePublish } from "../mqtt/packets.ts";
import { encodePublishV5 } from "../mqtt/v5_encode.ts";
import { mqtt5Props } from "./mqtt5_publishes.ts";
import { hidesDollar, receives } from "../mqtt/subject_match.ts";
import { startsWithWildcard, topicBytes } from "../mqtt/topic_map.ts";
import type { Bus, BusSubscription } from "../nats/bus.ts";
import type { BusMessage } from "../nats/bus_message.ts";
import { SubjectTrie } from "./subject_trie.ts";

/** A local receiver of messages: a connection's delivery. */
export interface Subscriber {
  /** A message on `pattern`, one of the subscriber's subjects; called once per message. */
  deliver(pattern: string, message: FanoutMessage): void;
  /** The subjects it listens on, when one message can match several of them; else null. */
  readonly overlappingPatterns: Iterable<string> | null;
}

/** One message on its way to every local subscriber: its topic and QoS 0 bytes made once. */
export class FanoutMessage {
  #topic: Uint8Array | undefined;
  #qos0: Uint8Array | undefined;
  #qos0v5: Uint8Array | null | undefined;

  constructor(readonly bus: BusMessage) {}

  get topic(): Uint8Array {
    return this.#topic ??= topicBytes(this.bus.subject);
  }

  /** The QoS 0 PUBLISH, shared by every subscriber: never modify it. */
  get qos0(): Uint8Array {
    return this.#qos0 ??= encodePublish(this.topic, this.bus.data, 0, false);
  }

  /** The same for MQTT 5 subscribers, with the message's properties; null once it expired. */
  get qos0v5(): Uint8Array | null {
    if (this.#qos0v5 !== undefined) return this.#qos0v5;
    const props = mqtt5Props(this.bus, Date.now());
    return this.#qos0v5 = props && encodePublishV5(this.topic, this.bus.data, 0, false, props);
  }
}

/** Who listens on one subject here, and the NATS subscription that brings its messages. */
interface Interest {
  readonly pattern: string;
  sub: BusSubscription | null;
  /** One subscriber, the usual case (a device on its own topic), without a Set's ~250 bytes. */
  members: Subscriber | Set<Subscriber>;
  readonly wildcardFirst: boolean;
}

/**
 * Per-instance interest: one NATS subscription per distinct subject however many local
 * clients use it, each message encoded once and handed to every interested subscriber.
 * Messages published by this instance are matched locally instead (see `#local`). Subscribers
 * keep their own subjects; this keeps only who listens on each, in the trie that matches them
 * (each NATS subscription carries its interest, so a message from NATS needs no lookup).
 */
export class Fanout {
  #interests = new SubjectTrie<Interest>();
  /** One callback for every NATS subscription: a closure each would cost memory per subject. */
  #onBus = (interest: Interest, msg: BusMessage) => this.#onMessage(interest, msg);

  constructor(readonly bus: Bus) {
    bus.onLocalPublish = (msg) => this.#local(msg);
  }

  /**
   * A message this instance published: NATS does not echo it back (no_echo), so its local
   * subscribers get it here, sooner and without the round trip.
   */
  #local(msg: BusMessage): void {
    for (const interest of this.#interests.match(msg.subject)) this.#onMessage(interest, msg);
  }

  /** Distinct NATS subscriptions held for local clients. */
  get subjectCount(): number {
    return this.#interests.size;
  }

  /** `subscriber` listens on `subjects` now. True when a new NATS subscription was made. */
  join(subscriber: Subscriber, subjects: Iterable<string>): boolean {
    let made = false;
    for (const subject of subjects) {
      const interest = this.#interests.get(subject);
      if (!interest) {
        const fresh: Interest = {
          pattern: subject,
          sub: null,
          members: subscriber,
          wildcardFirst: startsWithWildcard(subject),
        };
        fresh.sub = this.bus.subscribeShared(subject, this.#onBus, fresh);
        this.#interests.set(subject, fresh);
        made = true;
      } else if (interest.members instanceof Set) {
        interest.members.add(subscriber);
      } else if (interest.members !== subscriber) {
        interest.members = new Set([interest.members, subscriber]);
      }
    }
    return made;
  }

  /** `subscriber` no longer listens on `subjects`. */
  leave(subscriber: Subscriber, subjects: Iterable<string>): void {
    for (const subject of subjects) {
      const interest = this.#interests.get(subject);
      if (!interest) continue;
      const members = interest.members;
      if (members instanceof Set) {
        members.delete(subscriber);
        if (members.size > 0) continue;
      } else if (members !== subscriber) continue;
      interest.sub?.unsubscribe();
      interest.sub = null;
      this.#interests.delete(subject);
    }
  }

  #onMessage(interest: Interest, msg: BusMessage): void {
    // Gone since: its subscription's last messages may still come in.
    if (interest.sub === null) return;
    const subject = msg.subject;
    if (hidesDollar(interest.wildcardFirst, subject)) return;
    const members = interest.members;
    const pattern = interest.pattern;
    if (!(members instanceof Set)) {
      offer(members, pattern, subject, new FanoutMessage(msg));
      return;
    }
    let message: FanoutMessage | undefined;
    for (const subscriber of members) {
      offer(subscriber, pattern, subject, message ??= new FanoutMessage(msg));
    }
  }
}

function offer(subscriber: Subscriber, pattern: string, subject: string, message: FanoutMessage) {
  const patterns = subscriber.overlappingPatterns;
  if (patterns && !isCanonical(pattern, patterns, subject)) return;
  subscriber.deliver(pattern, message);
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
