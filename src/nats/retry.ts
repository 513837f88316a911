import { errors } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log.ts";
import { isNoAnswer, JsApiError } from "./js_api.ts";

// 503: no responders; 10008: JetStream temporarily unavailable; 10039 and 10076: JetStream not
// enabled (for the account), what nats-server answers while its meta leader is being elected.
const TRANSIENT_CODES = new Set([503, 10008, 10039, 10076]);

const FIRST_BACKOFF_MS = 100;
const LONGEST_BACKOFF_MS = 2_000;

/**
 * What a leader election or a lost NATS node looks like to a client: no answer in time, no
 * responders, "JetStream not enabled" (the account's JetStream has no leader at the moment), or
 * JetStream saying it is not available. Everything else is an answer, not a failure to get one.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof errors.TimeoutError || err instanceof errors.NoRespondersError) return true;
  if (isNoAnswer(err)) return true;
  if (err instanceof JsApiError) {
    return TRANSIENT_CODES.has(err.errCode) || TRANSIENT_CODES.has(err.code);
  }
  if (err instanceof errors.RequestError) return true;
  // The library's class for it is not exported; its name is.
  if (err instanceof Error && err.name === "JetStreamNotEnabled") return true;
  return err instanceof JetStreamApiError && TRANSIENT_CODES.has(err.code);
}

/** How long a repeatable call is tried again through transient failures, and where that is said. */
export interface RetryOptions {
  readonly forMs: number;
  readonly log: Logger;
}

/**
 * Runs `attempt` until it succeeds, trying again with backoff while its failures are transient
 * (an election) and for at most `forMs`. The attempt must be safe to repeat (a KV put, a create
 * whose "already exists" is an answer).
 */
export async function withRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const started = Date.now();
  for (let tries = 1;; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const backoff = Math.min(LONGEST_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (tries - 1));
      if (!isTransient(err) || Date.now() + backoff - started > opts.forMs) throw err;
      if (tries === 1) {
        opts.log.warn("store.retrying", {
          what,
          reason: err instanceof Error ? err.message : String(err),
          action: `trying again for up to ${opts.forMs} ms (NATS electing a leader?)`,
        });
      }
      await sleep(backoff);
    }
  }
}
