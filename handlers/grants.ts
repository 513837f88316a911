import { TopicError } from "../src/errors.ts";
import { filterToSubjects } from "../src/mqtt/topic_map.ts";
import { isShared, parseShared } from "../src/mqtt/shared_filter.ts";
import type { Grant, QoS, SubscriptionOptions } from "../src/mqtt/session.ts";
import type { HandlerContext } from "./types.ts";

/** MQTT packet identifiers in flight per session at most: the sum of its consumers' windows. */
export const MAX_SESSION_IN_FLIGHT = 65535;

/**
 * The grant for one requested filter, or why the filter is refused. Granting less than requested
 * is allowed [MQTT-3.9.3-2]: `maxQos` is 1 when QoS 2 subscriptions are downgraded.
 */
export function grantFor(
  filter: string,
  requested: number,
  persistent: boolean,
  maxQos: QoS = 2,
  options?: SubscriptionOptions,
  shared = isShared(filter),
): Grant | TopicError {
  const share = shared ? parseShared(filter) : null;
  if (share instanceof TopicError) return share;
  const subjects = filterToSubjects(share ? share.filter : filter);
  if (subjects instanceof TopicError) return subjects;
  const qos = Math.min(requested, maxQos) as QoS;
  const stored = !share && persistent && qos > 0;
  return {
    filter,
    qos,
    subjects,
    stored,
    ...(options ? { options } : {}),
    ...(share ? { share } : {}),
  };
}

/** Consumers a grant needs: one per subject of a stored grant, none otherwise. */
export const consumersOf = (g: Pick<Grant, "subjects" | "stored">): number =>
  g.stored ? g.subjects.length : 0;

/**
 * Deletes the consumers (and so the queued messages) of a persistent session's filter; for a
 * shared subscription, leaves its group (whose last member takes the group's consumers along).
 */
export async function removeConsumers(
  key: string,
  filter: string,
  qos: QoS,
  ctx: Pick<HandlerContext, "consumers">,
): Promise<void> {
  const grant = grantFor(filter, qos, true);
  if (grant instanceof TopicError) return;
  if (grant.share) return ctx.consumers.leaveShare(grant.filter, key, null);
  if (!grant.stored) return;
  for (const subject of grant.subjects) await ctx.consumers.remove(key, subject);
}

/**
 * Removes what a persistent session keeps besides its record: the consumers of its filters
 * (with the messages queued for them) and its QoS 2 state. For a clean start and an expiry.
 */
export async function discardSession(
  key: string,
  subscriptions: Record<string, QoS>,
  ctx: Pick<HandlerContext, "consumers" | "qos2">,
): Promise<void> {
  for (const [filter, qos] of Object.entries(subscriptions)) {
    await removeConsumers(key, filter, qos, ctx);
  }
  await ctx.qos2.discard(key);
}
