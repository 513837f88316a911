import { nanos } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { MESSAGES_STREAM, messageSubject } from "./names.ts";
import { type RetryOptions, withRetry } from "./retry.ts";

/** How long a delivery waits for its acknowledgement, and how many may wait at once. */
export interface ConsumerLimits {
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
}

/** A durable push consumer of the messages stream, for one plain NATS subject. */
export interface PushDurable {
  readonly name: string;
  readonly deliverSubject: string;
  /** Queue group of its subscribers: each message goes to one of them (shared subscriptions). */
  readonly deliverGroup?: string;
  /** The plain subject (or pattern) whose stored messages it keeps. */
  readonly subject: string;
}

// "consumer name already in use" (2.9), "consumer already exists" (2.10+), and the push variant.
const CONSUMER_EXISTS = new Set([10013, 10105, 10148]);

/**
 * Creates the consumer if missing — its queue starts now, explicitly acknowledged — or, when it
 * exists with other limits (the config changed since), keeps its queue and takes the new ones.
 * Tried again through an election or a late answer (`retry`): a SUBSCRIBE then waits instead of
 * closing its client, and a consumer made by an attempt that timed out is found by the next.
 */
export function ensureDurable(
  jsm: JetStreamManager,
  d: PushDurable,
  limits: ConsumerLimits,
  retry: RetryOptions,
): Promise<void> {
  return withRetry(`consumer ${d.name}`, () => addOrUpdate(jsm, d, limits), retry);
}

async function addOrUpdate(
  jsm: JetStreamManager,
  d: PushDurable,
  limits: ConsumerLimits,
): Promise<void> {
  const l = { ack_wait: nanos(limits.ackWaitMs), max_ack_pending: limits.maxAckPending };
  try {
    await jsm.consumers.add(MESSAGES_STREAM, {
      durable_name: d.name,
      deliver_subject: d.deliverSubject,
      ...(d.deliverGroup ? { deliver_group: d.deliverGroup } : {}),
      filter_subject: messageSubject(d.subject),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ...l,
    });
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || !CONSUMER_EXISTS.has(err.code)) throw err;
    await jsm.consumers.update(MESSAGES_STREAM, d.name, l);
  }
}

/**
 * Deletes the consumer, and with it the messages only it was keeping; gone already is fine (as
 * after an attempt that timed out), so it is tried again like `ensureDurable`.
 */
export function deleteDurable(
  jsm: JetStreamManager,
  name: string,
  retry: RetryOptions,
): Promise<void> {
  return withRetry(`consumer ${name} removal`, () => deleteIfThere(jsm, name), retry);
}

async function deleteIfThere(jsm: JetStreamManager, name: string): Promise<void> {
  try {
    await jsm.consumers.delete(MESSAGES_STREAM, name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.ConsumerNotFound) {
      throw err;
    }
  }
}
