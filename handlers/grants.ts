import { TopicError } from "../src/errors.ts";
import { filterToSubjects } from "../src/mqtt/topic_map.ts";
import type { QoS } from "../src/nats/sessions.ts";
import type { Grant } from "./types.ts";

/**
 * Highest QoS granted to a subscription until QoS 2 delivery exists; granting less than
 * requested is allowed [MQTT-3.9.3-2].
 */
export const MAX_GRANTED_QOS: QoS = 1;

/** MQTT packet identifiers in flight per session at most: the sum of its consumers' windows. */
export const MAX_SESSION_IN_FLIGHT = 65535;

/** The grant for one requested filter, or why the filter is refused. */
export function grantFor(
  filter: string,
  requested: number,
  persistent: boolean,
): Grant | TopicError {
  const subjects = filterToSubjects(filter);
  if (subjects instanceof TopicError) return subjects;
  const qos = Math.min(requested, MAX_GRANTED_QOS) as QoS;
  return { filter, qos, subjects, stored: persistent && qos > 0 };
}

/** Consumers a grant needs: one per subject of a stored grant, none otherwise. */
export const consumersOf = (g: Pick<Grant, "subjects" | "stored">): number =>
  g.stored ? g.subjects.length : 0;
