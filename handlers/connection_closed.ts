import { NEVER_EXPIRES } from "../src/mqtt/session.ts";
import { connectionOwner } from "../src/mqtt/shared_filter.ts";
import { discardSession } from "./grants.ts";
import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

export interface ClosedEvent {
  readonly reason: string;
  /** True when the client sent DISCONNECT. */
  readonly graceful: boolean;
  /** MQTT 5 DISCONNECT with reason 0x04: the will is published all the same. */
  readonly withWill?: boolean;
  /** MQTT 5 DISCONNECT's Session Expiry Interval, when it changed the CONNECT's. */
  readonly expiry?: number;
  /**
   * The will waits this long before it is published, and not at all if the client connects
   * again meanwhile (a drained client moving to another instance). 0: published now.
   */
  readonly willDelayMs?: number;
  /** Nothing was in flight to the client when it ended (see SessionRecord.settled). */
  readonly settled?: boolean;
  /**
   * The shared subscriptions of a session that ends with its connection: it leaves their
   * groups. (A persistent session's are in its record, and outlive the connection.)
   */
  readonly shares?: readonly string[];
}

/**
 * The connection has ended. A clean session ends with it [MQTT-3.1.2-6]: its record is deleted.
 * A persistent session stays, without an owner, so that its next CONNECT is no takeover, until
 * its expiry (MQTT 5 Session Expiry Interval) if it has one: then whichever instance is alive
 * removes it. Its will is published unless the client sent DISCONNECT [MQTT-3.1.2-8]
 * [MQTT-3.1.2-10] — or, with a delay (a drain's grace, MQTT 5's Will Delay Interval), left
 * waiting in the session record; the session's expiry publishes it if it comes first. None of
 * this happens when a newer connection owns the session by now (its CONNECT dealt with it).
 */
export async function connectionClosed(event: ClosedEvent, ctx: HandlerContext): Promise<void> {
  const session = ctx.session;
  if (!session) return;
  const now = ctx.now();
  const expiry = event.expiry ?? session.expiry;
  const expireAt = expiry === NEVER_EXPIRES ? null : now + expiry * 1000;
  let willAt: number | null = null;
  const previous = await ctx.sessions.take(
    session.key,
    (r) => r.owner?.connection === ctx.connectionId,
    (r) => {
      const willGoes = !!r.will && (!event.graceful || event.withWill === true);
      // The client's Will Delay Interval ends with the session [MQTT-3.1.3-9]; a drain's grace
      // does not (the record outlives a clean session to carry the will).
      const own = Math.min(
        (r.will?.delay ?? 0) * 1000,
        expireAt === null ? Infinity : expireAt - now,
      );
      const delayMs = willGoes ? Math.max(event.willDelayMs ?? 0, own) : 0;
      willAt = delayMs > 0 ? now + delayMs : null;
      const waits = willAt !== null;
      // A clean session's record outlives its connection only to carry a waiting will.
      if (r.clean && !waits) return null;
      if (!r.clean && expireAt !== null && expireAt <= now && !waits) return null;
      return {
        ...r,
        owner: null,
        will: waits ? r.will : null,
        willAt,
        ...(r.clean ? {} : { expireAt, ...(expiry === NEVER_EXPIRES ? {} : { expiry }) }),
        settled: event.settled === true,
      };
    },
  );
  // A session that ends with its connection loses its QoS 2 state with it [MQTT-3.1.2-6] (held
  // in the connection: see ConnectionQos2).
  if (session.clean) await ctx.qos2.discard(session.key);
  // Its memberships end with it, also when a newer connection took the client id over (that
  // one's own memberships are left alone).
  const owner = connectionOwner(ctx.instanceId, ctx.connectionId);
  for (const shared of session.clean ? event.shares ?? [] : []) {
    await ctx.consumers.leaveShare(shared, session.key, owner);
  }
  if (!previous) return;
  const willGoes = !!previous.will && (!event.graceful || event.withWill === true);
  if (willGoes && willAt === null && previous.will) {
    await publishWill(previous.will, session.clientId, event.reason, ctx);
  }
  const expiresNow = !previous.clean && expireAt !== null && expireAt <= now && willAt === null;
  if (expiresNow) await discardSession(session.key, previous.subscriptions, ctx);
  // One timer per session, cluster-wide: the earlier of its waiting will and its expiry.
  const due = willAt ?? (previous.clean || expiresNow ? null : expireAt);
  if (due !== null) await ctx.wills.delayWill(session.key, due);
  if (previous.will) await ctx.wills.willGone(ctx.instanceId, session.key);
}
