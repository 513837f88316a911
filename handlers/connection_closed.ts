import type { HandlerContext } from "./types.ts";

export interface ClosedEvent {
  readonly reason: string;
  /** True when the client sent DISCONNECT. */
  readonly graceful: boolean;
}

/**
 * The connection has ended. A clean session ends with it [MQTT-3.1.2-6]: its record is deleted.
 * A persistent session stays, without an owner, so that its next CONNECT is no takeover.
 * Neither happens when a newer connection owns the session by now.
 */
export async function connectionClosed(_event: ClosedEvent, ctx: HandlerContext): Promise<void> {
  const session = ctx.session;
  if (!session) return;
  if (session.clean) await ctx.sessions.release(session.key, ctx.connectionId);
  else await ctx.sessions.update(session.key, ctx.connectionId, (r) => ({ ...r, owner: null }));
}
