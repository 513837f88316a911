import type { Msg, NatsConnection } from "@nats-io/transport-node";

/**
 * A subscription as nats.js's protocol handler holds it: `subscribe` gives it a sid and writes
 * SUB; on a message the handler calls `callback` and counts `received` against `max`; on
 * reconnect it writes SUB again from `subject`, `queue` and `sid`; on close or drain of the
 * connection it calls `close` or `drain`.
 */
export interface HeldSubscription {
  sid: number;
  received: number;
  max: number | undefined;
  readonly subject: string;
  readonly queue: undefined;
  callback(err: Error | null, msg: Msg): void;
  close(): void;
  drain(): Promise<void>;
}

/**
 * What jetmq uses of nats.js 3.x's protocol handler (`nc.protocol`, not part of its public
 * types), for what the library has no option for: batched socket writes (write_batching.ts) and
 * light subscriptions (light_subscription.ts). `unsubscribe` writes UNSUB and forgets the
 * subscription, `unsub` writes UNSUB only, `subscriptions.cancel` forgets it.
 */
export interface ProtocolInternals {
  outbound: {
    length(): number;
    size(): number;
    fill(buf: Uint8Array, ...more: Uint8Array[]): void;
  };
  pendingLimit: number;
  flushPending(): void;
  sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
  subscribe(sub: HeldSubscription): void;
  unsubscribe(sub: HeldSubscription): void;
  unsub(sub: HeldSubscription): void;
  flush(): Promise<void>;
  isClosed(): boolean;
  subscriptions: { cancel(sub: HeldSubscription): void };
}

/**
 * The connection's protocol handler when it has the shape above; null otherwise (another nats.js
 * version), and callers keep to the library's public API.
 */
export function protocolOf(nc: NatsConnection): ProtocolInternals | null {
  const p = (nc as unknown as { protocol?: Partial<ProtocolInternals> }).protocol;
  const ok = !!p && typeof p.sendCommand === "function" &&
    typeof p.flushPending === "function" && typeof p.outbound?.fill === "function" &&
    typeof p.pendingLimit === "number" && typeof p.subscribe === "function" &&
    typeof p.unsubscribe === "function" && typeof p.unsub === "function" &&
    typeof p.flush === "function" && typeof p.isClosed === "function" &&
    typeof p.subscriptions?.cancel === "function";
  return ok ? p as ProtocolInternals : null;
}
