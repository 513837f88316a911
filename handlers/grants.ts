import { TopicError } from "../src/errors.ts";
import { filterToSubjects } from "../src/mqtt/topic_map.ts";
import type { QoS } from "../src/nats/sessions.ts";
import type { Grant } from "./types.ts";

/**
 * Highest QoS granted to a subscription. Deliveries are QoS 0 until persistent QoS 1/2
 * delivery exists; granting less than requested is allowed [MQTT-3.9.3-2].
 */
export const MAX_GRANTED_QOS: QoS = 0;

/** The grant for one requested filter, or why the filter is refused. */
export function grantFor(filter: string, requested: number): Grant | TopicError {
  const subjects = filterToSubjects(filter);
  if (subjects instanceof TopicError) return subjects;
  const qos = Math.min(requested, MAX_GRANTED_QOS) as QoS;
  return { filter, qos, subjects };
}
