import { TopicError } from "../src/errors.ts";
import { filterToSubjects } from "../src/mqtt/topic_map.ts";
import type { Grant, QoS } from "../src/mqtt/session.ts";
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
): Grant | TopicError {
  const subjects = filterToSubjects(filter);
  if (subjects instanceof TopicError) return subjects;
  const qos = Math.min(requested, maxQos) as QoS;
  return { filter, qos, subjects, stored: persistent && qos > 0 };
}

/** Consumers a grant needs: one per subject of a stored grant, none otherwise. */
export const consumersOf = (g: Pick<Grant, "subjects" | "stored">): number =>
  g.stored ? g.subjects.length : 0;

/** Deletes the consumers (and so the queued messages) of a persistent session's filter. */
export async function removeConsumers(
  key: string,
  filter: string,
  qos: QoS,
  ctx: Pick<HandlerContext, "consumers">,
): Promise<void> {
  const grant = grantFor(filter, qos, true);
  if (grant instanceof TopicError || !grant.stored) return;
  for (const subject of grant.subjects) await ctx.consumers.remove(key, subject);
}
