import type { HandlerContext } from "./types.ts";

export interface ClosedEvent {
  readonly reason: string;
  /** True when the client sent DISCONNECT. */
  readonly graceful: boolean;
}

/**
 * The connection has ended. A clean session ends with it [MQTT-3.1.2-6]: its record is deleted
 * unless a newer connection owns it by now.
 */
export async function connectionClosed(_event: ClosedEvent, ctx: HandlerContext): Promise<void> {
  const session = ctx.session;
  if (!session || !session.clean) return;
  await ctx.sessions.release(session.key, ctx.connectionId);
}
