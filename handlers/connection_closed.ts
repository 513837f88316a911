import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

export interface ClosedEvent {
  readonly reason: string;
  /** True when the client sent DISCONNECT. */
  readonly graceful: boolean;
  /**
   * The will waits this long before it is published, and not at all if the client connects
   * again meanwhile (a drained client moving to another instance). 0: published now.
   */
  readonly willDelayMs?: number;
  /** Nothing was in flight to the client when it ended (see SessionRecord.settled). */
  readonly settled?: boolean;
}

/**
 * The connection has ended. A clean session ends with it [MQTT-3.1.2-6]: its record is deleted.
 * A persistent session stays, without an owner, so that its next CONNECT is no takeover. Its
 * will is published unless the client sent DISCONNECT [MQTT-3.1.2-8] [MQTT-3.1.2-10] — or, with
 * a delay, left waiting in the session record for whichever instance is alive when it is due.
 * None of this happens when a newer connection owns the session by now (its CONNECT dealt with
 * the will).
 */
export async function connectionClosed(event: ClosedEvent, ctx: HandlerContext): Promise<void> {
  const session = ctx.session;
  if (!session) return;
  const delay = event.graceful ? 0 : event.willDelayMs ?? 0;
  const willAt = ctx.now() + delay;
  const previous = await ctx.sessions.take(
    session.key,
    (r) => r.owner?.connection === ctx.connectionId,
    (r) => {
      const waits = delay > 0 && !!r.will;
      // A clean session's record outlives its connection only to carry a waiting will.
      if (r.clean && !waits) return null;
      return {
        ...r,
        owner: null,
        will: waits ? r.will : null,
        willAt: waits ? willAt : null,
        settled: event.settled === true,
      };
    },
  );
  if (!previous?.will) return;
  if (!event.graceful) {
    if (delay > 0) await ctx.wills.delayWill(session.key, willAt);
    else await publishWill(previous.will, session.clientId, event.reason, ctx);
  }
  await ctx.wills.willGone(ctx.instanceId, session.key);
}
