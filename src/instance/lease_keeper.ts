import { instanceLost } from "../../handlers/instance_lost.ts";
import type { HandlerContext } from "../../handlers/types.ts";
import { describeError } from "../errors.ts";
import type { Leases } from "../nats/leases.ts";

export interface LeaseKeeper {
  stop(): Promise<void>;
}

/** After a failed renewal, the next try comes this soon rather than a whole beat later. */
const RETRY_MS = 500;

/**
 * Renews this instance's lease every third of the TTL and, on the same beat, looks for
 * instances whose lease ran out: their clients' wills are published from here.
 *
 * Judging others needs a view of JetStream that works: while this instance's own renewals
 * fail (a NATS leader election, a lost node), it cannot tell "the other died" from "nobody
 * could renew", so it judges nobody until its renewals have succeeded for a whole TTL — by then
 * every live instance has renewed too. So an election never produces wills; a real death does,
 * within TTL plus a beat of it.
 */
export async function keepLease(
  leases: Leases,
  ttlMs: number,
  ctx: HandlerContext,
): Promise<LeaseKeeper> {
  const self = ctx.instanceId;
  await leases.watch();
  await leases.renew(self, ttlMs);
  let healthySince: number | null = ctx.now();
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const beatMs = Math.max(100, Math.floor(ttlMs / 3));

  const beat = async (): Promise<number> => {
    try {
      await leases.renew(self, ttlMs);
      if (healthySince === null) {
        healthySince = ctx.now();
        ctx.log.info("lease.renewed", { after: "failures", judgingOthersIn: ttlMs });
      }
    } catch (err) {
      if (healthySince !== null) {
        ctx.log.warn("lease.renew_failed", {
          ...describeError(err),
          action: `not judging other instances until renewals succeed for ${ttlMs} ms`,
        });
      }
      healthySince = null;
      return RETRY_MS;
    }
    if (ctx.now() - healthySince < ttlMs) return beatMs;
    for (const dead of leases.expired(self, ttlMs)) {
      try {
        const wills = await instanceLost(dead, ctx);
        await leases.forget(dead);
        ctx.log.warn("instance.lost", { deadInstance: dead, willsPublished: wills });
      } catch (err) {
        ctx.log.warn("instance.lost_failed", { deadInstance: dead, ...describeError(err) });
      }
    }
    return beatMs;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = beat().then(schedule).finally(() => (running = null));
    }, ms);
  };
  schedule(beatMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      leases.stopWatching();
      await leases.forget(self).catch(() => {});
    },
  };
}
