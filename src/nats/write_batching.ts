import type { NatsConnection } from "@nats-io/transport-node";

/** What of the client library's protocol handler this relies on (nats.js 3.x). */
interface ProtocolInternals {
  outbound: {
    length(): number;
    size(): number;
    fill(buf: Uint8Array, ...more: Uint8Array[]): void;
  };
  pendingLimit: number;
  flushPending(): void;
  sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
}

const encoder = new TextEncoder();

/**
 * Makes the client library write to its socket once per turn of the event loop instead of once
 * per microtask checkpoint. A broker's NATS traffic comes from many client sockets, each event
 * its own checkpoint: without this, every PUBLISH, SUBSCRIBE and store from a client is one
 * system call to NATS, and on a busy instance those calls are where most of the time goes.
 * What is written, and in what order, is unchanged; a full buffer is still written at once.
 *
 * The library has no option for it: this replaces its handler's `sendCommand` with the same
 * code but for the deferral. A library whose internals differ is left as it is (returns false).
 */
export function batchWrites(nc: NatsConnection): boolean {
  const p = (nc as unknown as { protocol?: Partial<ProtocolInternals> }).protocol;
  if (
    !p || typeof p.sendCommand !== "function" || typeof p.flushPending !== "function" ||
    typeof p.outbound?.fill !== "function" || typeof p.pendingLimit !== "number"
  ) {
    return false;
  }
  const protocol = p as ProtocolInternals;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    protocol.flushPending();
  };
  protocol.sendCommand = (cmd, ...payloads) => {
    const buf = typeof cmd === "string" ? encoder.encode(cmd) : cmd;
    protocol.outbound.fill(buf, ...payloads);
    if (protocol.outbound.size() >= protocol.pendingLimit) {
      protocol.flushPending();
    } else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return true;
}
