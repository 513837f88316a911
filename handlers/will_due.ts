import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

/**
 * A waiting will's time has come (its delay passed without the client coming back): published
 * once, cluster-wide — every instance's timer may fire, and only the one that wins the
 * compare-and-set on the session record publishes. A session resumed meanwhile has an owner and
 * no waiting will, and nothing happens. Returns whether this call published it.
 */
export async function willDue(key: string, at: number, ctx: HandlerContext): Promise<boolean> {
  const previous = await ctx.sessions.take(
    key,
    (r) => r.owner === null && r.willAt === at && !!r.will,
    (r) => (r.clean ? null : { ...r, will: null, willAt: null }),
  );
  if (previous?.will) {
    ctx.log.info("will.due", { session: key, at, willAt: previous.willAt, owner: previous.owner });
    await publishWill(previous.will, previous.clientId, "Will delay passed", ctx);
  }
  await ctx.wills.delayedGone(key);
  return !!previous?.will;
}
