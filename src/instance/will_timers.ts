import { willDue } from "../../handlers/will_due.ts";
import type { HandlerContext } from "../../handlers/types.ts";
import { describeError } from "../errors.ts";
import type { Leases } from "../nats/leases.ts";

export interface WillTimers {
  stop(): void;
}

/** Instances' timers for one will all fire; spreading them a little spares the losers a retry. */
const JITTER_MS = 250;

/**
 * Every instance keeps a timer for every will waiting for its delay (drained clients, MQTT 5
 * Will Delay Interval), from the wills bucket it follows. When one is due, `willDue` publishes
 * it unless the client came back — once, whichever instances are alive by then: the instance
 * that closed the connection may be long gone.
 */
export async function keepWillTimers(leases: Leases, ctx: HandlerContext): Promise<WillTimers> {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  await leases.watchDelayed((key, at) => {
    const pending = timers.get(key);
    if (pending) clearTimeout(pending);
    timers.delete(key);
    if (at === null) return;
    const wait = Math.max(0, at - ctx.now()) + Math.floor(Math.random() * JITTER_MS);
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        willDue(key, at, ctx).catch((err) =>
          ctx.log.warn("will.due_failed", { session: key, ...describeError(err) })
        );
      }, wait),
    );
  });
  return {
    stop() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
