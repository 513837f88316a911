import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

export interface ClosedEvent {
  readonly reason: string;
  /** True when the client sent DISCONNECT. */
  readonly graceful: boolean;
}

/**
 * The connection has ended. A clean session ends with it [MQTT-3.1.2-6]: its record is deleted.
 * A persistent session stays, without an owner, so that its next CONNECT is no takeover. Its
 * will is published unless the client sent DISCONNECT [MQTT-3.1.2-8] [MQTT-3.1.2-10]. None of
 * this happens when a newer connection owns the session by now (its CONNECT dealt with the will).
 */
export async function connectionClosed(event: ClosedEvent, ctx: HandlerContext): Promise<void> {
  const session = ctx.session;
  if (!session) return;
  const previous = session.clean
    ? await ctx.sessions.release(session.key, ctx.connectionId)
    : await ctx.sessions.update(session.key, ctx.connectionId, (r) => ({
      ...r,
      owner: null,
      will: null,
    }));
  if (!previous?.will) return;
  if (!event.graceful) await publishWill(previous.will, session.clientId, event.reason, ctx);
  await ctx.wills.willGone(ctx.instanceId, session.key);
}
