import { instanceLost } from "../../handlers/instance_lost.ts";
import type { HandlerContext } from "../../handlers/types.ts";
import { describeError } from "../errors.ts";
import type { Leases } from "../nats/leases.ts";

export interface LeaseKeeper {
  stop(): Promise<void>;
}

/**
 * Renews this instance's lease every third of the TTL and, on the same beat, looks for
 * instances whose lease ran out: their clients' wills are published from here. Death to will
 * takes at most the TTL plus one beat.
 */
export async function keepLease(
  leases: Leases,
  ttlMs: number,
  ctx: HandlerContext,
): Promise<LeaseKeeper> {
  const self = ctx.instanceId;
  await leases.renew(self);
  let running: Promise<void> | null = null;
  const beat = async () => {
    try {
      await leases.renew(self);
      for (const dead of await leases.expired(self, ttlMs)) {
        const wills = await instanceLost(dead, ctx);
        await leases.forget(dead);
        ctx.log.warn("instance.lost", { deadInstance: dead, willsPublished: wills });
      }
    } catch (err) {
      ctx.log.warn("lease.failed", describeError(err));
    }
  };
  const timer = setInterval(() => {
    running ??= beat().finally(() => (running = null));
  }, Math.max(100, Math.floor(ttlMs / 3)));
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await leases.forget(self).catch(() => {});
    },
  };
}
