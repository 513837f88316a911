import type { Msg, NatsConnection } from "@nats-io/transport-node";

/**
 * What nats.js's protocol handler (`nc.protocol`, not part of its public types) asks of a
 * subscription it holds: `subscribe` gives it a sid and writes SUB; `unsubscribe` writes UNSUB
 * and forgets it; `unsub` writes UNSUB only; `subscriptions.cancel` forgets it. On a message it
 * calls `callback` and counts `received` against `max`; on reconnect it writes SUB again from
 * `subject`, `queue` and `sid`; on close or drain of the connection it calls `close` or `drain`.
 */
export interface ProtocolHandler {
  subscribe(sub: LightSubscription): void;
  unsubscribe(sub: LightSubscription): void;
  unsub(sub: LightSubscription): void;
  flush(): Promise<void>;
  isClosed(): boolean;
  subscriptions: { cancel(sub: LightSubscription): void };
}

/** Handed each message with the subject it was subscribed on. */
export type LightHandler = (subject: string, msg: Msg) => void;

/**
 * A NATS subscription with a shared handler, registered with the library's protocol handler
 * directly. The library's own (a SubscriptionImpl with its async iterator and three deferred
 * promises) costs about 1.1 kB of heap, this one about 80 bytes: an instance holds one per
 * distinct subject its clients listen on, so a device fleet listening on a topic each pays
 * that per client.
 */
export class LightSubscription {
  sid = 0;
  received = 0;
  max: number | undefined = undefined;
  readonly queue = undefined;
  #closed = false;

  constructor(
    readonly subject: string,
    readonly protocol: ProtocolHandler,
    readonly handler: LightHandler,
  ) {}

  callback(err: Error | null, msg: Msg): void {
    if (!err && !this.#closed) this.handler(this.subject, msg);
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

/**
 * The connection's protocol handler when it has the shape LightSubscription relies on; null
 * otherwise (another nats.js version), and callers use the library's subscriptions.
 */
export function protocolOf(nc: NatsConnection): ProtocolHandler | null {
  const p = (nc as unknown as { protocol?: Partial<ProtocolHandler> }).protocol;
  const ok = p && typeof p.subscribe === "function" && typeof p.unsubscribe === "function" &&
    typeof p.unsub === "function" && typeof p.flush === "function" &&
    typeof p.isClosed === "function" && typeof p.subscriptions?.cancel === "function";
  return ok ? p as ProtocolHandler : null;
}
