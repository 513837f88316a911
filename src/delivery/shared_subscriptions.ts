import type { Grant } from "../mqtt/session.ts";
import { type Bus, type BusSubscription, leaveDeliveries } from "../nats/bus.ts";
import type { BusMessage } from "../nats/bus_message.ts";
import { shareDeliverSubject, shareQueue } from "../nats/names.ts";

/** Where a connection's shared subscriptions hand their messages. */
export interface SharedReceiver {
  /** A message on a plain subject that NATS gave this member of the group. */
  sharedLive(grant: Grant, m: BusMessage): void;
  /** A message the group's consumer gave this member (QoS 1/2, stored). */
  sharedStored(grant: Grant, m: BusMessage): void;
}

interface Membership {
  readonly grant: Grant;
  readonly subs: BusSubscription[];
}

/**
 * One connection's memberships of shared subscriptions' groups: per subject of the filter, a
 * member of the group's NATS queue on the plain subject (QoS 0 and NATS publishers' messages)
 * and on the group consumer's deliver subject (stored QoS 1/2 messages). NATS picks one member
 * per message across every instance — and NATS workers in the same queue group.
 */
export class SharedSubscriptions {
  #members = new Map<string, Membership>();

  constructor(readonly bus: Bus, readonly receiver: SharedReceiver) {}

  get size(): number {
    return this.#members.size;
  }

  /** Listens for exactly these shared grants now; true when a subscription was made. */
  sync(grants: Iterable<Grant>): boolean {
    const wanted = new Map<string, Grant>();
    for (const g of grants) if (g.share) wanted.set(g.filter, g);
    let made = false;
    for (const [filter, m] of this.#members) {
      const g = wanted.get(filter);
      // Same filter, other QoS or options: the grant is replaced, the subscriptions kept.
      if (g) this.#members.set(filter, { grant: g, subs: m.subs });
      else this.#drop(filter, m);
    }
    for (const [filter, g] of wanted) {
      if (this.#members.has(filter)) continue;
      this.#members.set(filter, { grant: g, subs: this.#subscribe(g) });
      made = true;
    }
    return made;
  }

  close(): void {
    for (const [filter, m] of this.#members) this.#drop(filter, m);
  }

  #subscribe(first: Grant): BusSubscription[] {
    const filter = first.filter;
    const queue = shareQueue(filter);
    // The grant as it is when the message comes (a SUBSCRIBE again may have changed its QoS).
    const grant = () => this.#members.get(filter)?.grant;
    const subs: BusSubscription[] = [];
    for (const subject of first.subjects) {
      subs.push(this.bus.queue(subject, queue, (m) => {
        const g = grant();
        if (g) this.receiver.sharedLive(g, m);
      }, true));
      subs.push(this.bus.queue(shareDeliverSubject(filter, subject), queue, (m) => {
        const g = grant();
        if (g) this.receiver.sharedStored(g, m);
        else this.bus.nak(m.reply ?? ""); // left the group meanwhile: another member takes it
      }, false));
    }
    return subs;
  }

  #drop(filter: string, m: Membership): void {
    // Drained: a group delivery on its way is handed back to the group by the handler above.
    for (const s of m.subs) leaveDeliveries(s);
    this.#members.delete(filter);
  }
}
