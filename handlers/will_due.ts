import { discardSession } from "./grants.ts";
import type { HandlerContext } from "./types.ts";
import { publishWill } from "./will.ts";

/**
 * A session's timer is due: its waiting will's delay passed, or its expiry came, without the
 * client coming back. Done once, cluster-wide — every instance's timer may fire, and only the
 * one that wins the compare-and-set on the session record acts. A session resumed meanwhile
 * has an owner and nothing waiting, and nothing happens. Returns whether this call acted.
 */
export async function willDue(key: string, at: number, ctx: HandlerContext): Promise<boolean> {
  const previous = await ctx.sessions.take(
    key,
    (r) => r.owner === null && (r.willAt === at || r.expireAt === at),
    (r) => {
      const expired = reached(r.expireAt, at);
      if (r.clean || expired) return null;
      return { ...r, will: null, willAt: null };
    },
  );
  if (!previous) {
    await ctx.wills.delayedGone(key, at);
    return false;
  }
  if (previous.will && reached(previous.willAt, at)) {
    ctx.log.info("will.due", { session: key, at, willAt: previous.willAt });
    await publishWill(previous.will, previous.clientId, "Will delay passed", ctx);
  }
  const expired = reached(previous.expireAt, at);
  if (expired && !previous.clean) {
    ctx.log.info("session.expired", { session: key, clientId: previous.clientId });
    await discardSession(key, previous.subscriptions, ctx);
  }
  // Still to come: the session's own expiry, after its will.
  if (!expired && !previous.clean && typeof previous.expireAt === "number") {
    await ctx.wills.delayWill(key, previous.expireAt);
  } else await ctx.wills.delayedGone(key, at);
  return true;
}

/** A time that is set and has come by `at`. */
const reached = (time: number | null | undefined, at: number): boolean =>
  typeof time === "number" && time <= at;
