import { setTimeout as sleep } from "node:timers/promises";
import { describeError, NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";

const FIRST_WAIT_MS = 250;
const LONGEST_WAIT_MS = 5_000;

/**
 * Runs `attempt` until it succeeds: a NATS cluster still forming or electing a leader answers
 * "no suitable peers", "jetstream not enabled" or nothing for a while, and an instance started
 * alongside it must wait rather than exit. Setup errors (no JetStream at all, a bad config) end
 * it at once; anything else is tried again with growing waits until `timeoutMs` has passed.
 * `onWait` hears what start-up is waiting for (for /readyz).
 */
export async function untilReady<T>(
  what: string,
  attempt: () => Promise<T>,
  opts: { timeoutMs: number; log: Logger; onWait?: (reason: string) => void },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = FIRST_WAIT_MS;
  for (let tries = 1;; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof NatsSetupError && !isUnreachable(err)) throw err;
      const reason = `${what}: ${describeError(err).message}`;
      if (Date.now() + wait > deadline) {
        throw new NatsSetupError(
          `Gave up after ${tries} tries in ${opts.timeoutMs} ms (startup_timeout): ${reason}`,
          {},
          { cause: err },
        );
      }
      opts.onWait?.(reason);
      opts.log.warn("startup.waiting", { for: what, reason, tries, retryInMs: wait });
      await sleep(wait);
      wait = Math.min(LONGEST_WAIT_MS, wait * 2);
    }
  }
}

/** NATS not listening yet is worth waiting for; a server without JetStream is not. */
function isUnreachable(err: NatsSetupError): boolean {
  return err.message.startsWith("Cannot connect to NATS");
}
