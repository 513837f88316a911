import type { Msg } from "@nats-io/transport-node";
import type { HeldSubscription, ProtocolInternals } from "./protocol_internals.ts";

/** Handed each message with the subscription's tag (what its subscriber needs to place it). */
export type LightHandler<T> = (tag: T, msg: Msg) => void;

/**
 * A NATS subscription registered with the library's protocol handler directly (see
 * protocol_internals.ts). The library's own (a SubscriptionImpl with its async iterator and
 * three deferred promises) costs about 1.1 kB of heap, this one about 80 bytes: an instance
 * holds one per distinct subject its clients listen on, so a device fleet listening on a topic
 * each pays that per client.
 */
export class LightSubscription<T = string> implements HeldSubscription {
  sid = 0;
  received = 0;
  // Both on the prototype (see the end of the file): own fields would cost every subscription
  // 16 bytes, and the library sets `max` only as it unsubscribes.
  declare max: number | undefined;
  declare readonly queue: undefined;
  #closed = false;

  constructor(
    readonly subject: string,
    readonly protocol: ProtocolInternals,
    readonly handler: LightHandler<T>,
    readonly tag: T,
  ) {}

  callback(err: Error | null, msg: Msg): void {
    if (!err && !this.#closed) this.handler(this.tag, msg);
  }

  unsubscribe(): void {
    if (this.#closed) return;
    this.protocol.unsubscribe(this);
  }

  close(): void {
    this.#closed = true;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  /** As the library's: UNSUB, and forgotten once the server has seen it (so nothing is lost). */
  drain(): Promise<void> {
    if (this.#closed || this.protocol.isClosed()) return Promise.resolve();
    this.protocol.unsub(this);
    const forget = () => this.protocol.subscriptions.cancel(this);
    return this.protocol.flush().then(forget, forget);
  }
}

Object.assign(LightSubscription.prototype, { max: undefined, queue: undefined });
