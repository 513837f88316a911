import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

/**
 * An instance died without closing its connections (its lease expired): the wills of the
 * sessions it served are published here, on a surviving instance. Each session is taken with
 * compare-and-set, so however many instances sweep at once, each will goes out once.
 * Returns how many wills were published.
 */
export async function instanceLost(deadInstance: string, ctx: HandlerContext): Promise<number> {
  let published = 0;
  for (const key of await ctx.wills.sessionsWithWill(deadInstance)) {
    const previous = await ctx.sessions.take(
      key,
      (r) => r.owner?.instance === deadInstance,
      (r) => (r.clean ? null : { ...r, owner: null, will: null }),
    );
    if (previous?.will) {
      await publishWill(previous.will, previous.clientId, `Instance ${deadInstance} died`, ctx);
      published++;
    }
    await ctx.wills.willGone(deadInstance, key);
  }
  // Its members whose sessions ended with it leave their shared subscriptions' groups.
  await ctx.consumers.shareMembersLost(deadInstance);
  return published;
}
