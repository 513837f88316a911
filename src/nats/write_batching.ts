import type { NatsConnection } from "@nats-io/transport-node";
import { protocolOf } from "./protocol_internals.ts";

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
  const protocol = protocolOf(nc);
  if (!protocol) return false;
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
