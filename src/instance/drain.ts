import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log.ts";
import type { Readiness } from "./readiness.ts";

/** What a drain needs of the instance. */
export interface DrainTarget {
  readonly readiness: Readiness;
  /** Stops accepting new connections; the open ones stay. */
  stopListening(): Promise<void>;
  connections(): Iterable<
    { readonly sentAway: boolean; sendAway(reason: string, willDelayMs: number): void }
  >;
  connectionCount(): number;
}

export interface DrainOptions {
  /** Time for the load balancer to see /readyz fail before the listeners close. */
  readonly noticeMs: number;
  /** Connections closed per second. */
  readonly ratePerSecond: number;
  /** The drain ends by then, connections left or not. */
  readonly timeoutMs: number;
  /** A drained client's will waits this long for it to connect again (anywhere). */
  readonly willGraceMs: number;
  readonly log: Logger;
}

/**
 * Empties an instance for a rolling deploy: not ready (the balancer stops sending clients),
 * then no new connections, then the clients are disconnected at a steady rate, so they
 * reconnect to the other instances without a thundering herd. Their wills wait `willGraceMs`:
 * a client that is back in time (the usual case) publishes none. Returns how many connections
 * were still open at the deadline.
 */
export async function drainInstance(target: DrainTarget, opts: DrainOptions): Promise<number> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  target.readiness.draining();
  opts.log.info("broker.draining", {
    connections: target.connectionCount(),
    noticeMs: opts.noticeMs,
    ratePerSecond: opts.ratePerSecond,
  });
  await sleep(opts.noticeMs);
  await target.stopListening();
  const gap = 1000 / Math.max(1, opts.ratePerSecond);
  // Until none is left: a connection accepted before the listeners closed joins the set only
  // once its PROXY header is read, maybe after a pass began. Left alone, it would hold the drain
  // to its deadline, then end without its grace (a will storm in miniature).
  while (target.connectionCount() > 0 && Date.now() < deadline) {
    let sent = 0;
    for (const conn of [...target.connections()]) {
      if (conn.sentAway) continue;
      if (Date.now() > deadline) break;
      conn.sendAway("Server draining for a restart: connect again", opts.willGraceMs);
      sent++;
      await sleep(gap);
    }
    if (sent === 0) await sleep(20);
  }
  const left = target.connectionCount();
  opts.log.info("broker.drained", { ms: Date.now() - started, connectionsLeft: left });
  return left;
}
