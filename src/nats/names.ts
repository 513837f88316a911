import { createHash } from "node:crypto";
import { INTERNAL_PREFIX } from "../mqtt/topic_map.ts";

// Every bucket, stream, subject and durable name jetmq uses is built here and nowhere else.
// Changing one of these strings is a data migration: test/names_test.ts pins them.

/** First subject token of everything internal (defined with the topic rules that protect it). */
export { INTERNAL_PREFIX };

/** KV bucket holding one session record per client id. */
export const SESSIONS_BUCKET = "jetmq_sessions";

/** KV bucket of instance leases: each instance's heartbeat, so others can tell it died. */
export const INSTANCES_BUCKET = "jetmq_instances";

/** KV bucket indexing sessions with a will by the instance serving them: `<instance>.<key>`. */
export const WILLS_BUCKET = "jetmq_wills";

export function willKey(instanceId: string, key: string): string {
  return `${instanceId}.${key}`;
}

/** Prefix, in the wills bucket, of wills waiting for their delay (instance ids are hex). */
export const DELAYED_WILL_PREFIX = "delayed";

/** Wills bucket key of session `key`'s will, waiting for its delay to pass. */
export function delayedWillKey(key: string): string {
  return `${DELAYED_WILL_PREFIX}.${key}`;
}

/** KV bucket of QoS 2 messages received and not yet released (PUBREL), `<session>.<id>`. */
export const QOS2_IN_BUCKET = "jetmq_qos2_in";

/** KV bucket of QoS 2 deliveries the client has received (PUBREC) but not completed. */
export const QOS2_OUT_BUCKET = "jetmq_qos2_out";

export function qos2Key(key: string, packetId: number): string {
  return `${key}.${packetId}`;
}

/** Stream of QoS 1 and 2 messages, interest retention. */
export const MESSAGES_STREAM = "jetmq_msgs";
export const MESSAGES_SUBJECTS = `${INTERNAL_PREFIX}.msgs.>`;
/** Prefix of stored messages' subjects, stripped to get the plain NATS subject back. */
export const MESSAGE_SUBJECT_PREFIX = `${INTERNAL_PREFIX}.msgs.`;

/** Stream of retained messages: the last one per subject, kept until replaced or deleted. */
export const RETAINED_STREAM = "jetmq_retained";
export const RETAINED_SUBJECT_PREFIX = `${INTERNAL_PREFIX}.retained.`;
export const RETAINED_SUBJECTS = `${RETAINED_SUBJECT_PREFIX}>`;

/** Subject under which the retained message of NATS subject (or pattern) `subject` is kept. */
export function retainedSubject(subject: string): string {
  return `${RETAINED_SUBJECT_PREFIX}${subject}`;
}

/** Inbox prefix of jetmq's own NATS connection, kept out of the users' `_INBOX` space. */
export const INBOX_PREFIX = `${INTERNAL_PREFIX}._INBOX`;

/** Subject under which a QoS 1/2 message for NATS subject `subject` is stored. */
export function messageSubject(subject: string): string {
  return `${MESSAGE_SUBJECT_PREFIX}${subject}`;
}

/** Prefix of the subjects that durable consumers push persistent sessions' messages to. */
export const MESSAGES_DELIVER_PREFIX = `${INTERNAL_PREFIX}.dlv`;

const shortHash = (text: string): string =>
  createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);

/**
 * Durable consumer that holds one persistent session's QoS 1/2 messages for one NATS subject
 * of its filters (nats-server 2.9 allows one filter subject per consumer).
 */
export function consumerName(key: string, subject: string): string {
  return `${key}_${shortHash(subject)}`;
}

/** Where that consumer pushes its messages; the instance serving the session listens there. */
export function deliverSubject(key: string, subject: string): string {
  return `${MESSAGES_DELIVER_PREFIX}.${key}.${shortHash(subject)}`;
}

/**
 * The acknowledgement subject of a consumer's message, built from its stream sequence, as
 * nats-server 2.9+ parses it (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>`).
 * The server finds the pending message by its stream sequence, so any instance can acknowledge
 * or negatively acknowledge a message another instance delivered.
 */
export function ackSubject(consumer: string, streamSeq: number, consumerSeq: number): string {
  return `$JS.ACK.${MESSAGES_STREAM}.${consumer}.1.${streamSeq}.${consumerSeq}.0.0`;
}

/** Where a JetStream delivery stands, read from its acknowledgement subject. */
export interface AckInfo {
  readonly delivered: number;
  readonly streamSeq: number;
}

/** Where the dots of an acknowledgement subject are (its first twelve). */
const dots = new Int32Array(12);

/**
 * Reads the 9-token form of nats-server 2.9 and the 11/12-token form of later servers. Every
 * stored message delivered goes through here: no token strings are made, only the two numbers.
 */
export function parseAckSubject(reply: string | undefined): AckInfo | null {
  if (!reply?.startsWith("$JS.ACK.")) return null;
  let count = 0;
  for (let i = reply.indexOf("."); i >= 0; i = reply.indexOf(".", i + 1)) {
    if (count < dots.length) dots[count] = i;
    count++;
  }
  const tokens = count + 1;
  const at = tokens === 9 ? 4 : tokens >= 11 ? 6 : -1;
  if (at < 0) return null;
  const delivered = digits(reply, dots[at - 1]! + 1, dots[at]!);
  const streamSeq = digits(reply, dots[at]! + 1, dots[at + 1]!);
  return delivered > 0 && streamSeq > 0 ? { delivered, streamSeq } : null;
}

/** The decimal number in s[from, to); NaN when it is not one. */
function digits(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Full-width SHA-256 of the client id: safe as a KV key and a subject token, no collisions. */
export function sessionKey(clientId: string): string {
  return createHash("sha256").update(clientId, "utf8").digest("hex");
}

/**
 * Where an instance hears that a session it serves was claimed elsewhere: a request it answers
 * once that connection no longer receives anything.
 */
export function takeoverSubject(instanceId: string): string {
  return `${INTERNAL_PREFIX}.ctl.takeover.${instanceId}`;
}

/**
 * KV bucket of shared subscriptions' groups: `g.<group>` lists a group's members, and
 * `i.<instance>.<group>` says that the instance has members of that group whose session ends
 * with their connection (so that a survivor removes them when the instance dies).
 */
export const SHARES_BUCKET = "jetmq_shares";

/** Every KV bucket jetmq keeps (provisioned at start-up, reported by /jsz). */
export const BUCKETS: readonly string[] = [
  SESSIONS_BUCKET,
  INSTANCES_BUCKET,
  WILLS_BUCKET,
  QOS2_IN_BUCKET,
  QOS2_OUT_BUCKET,
  SHARES_BUCKET,
];

/** Key token of a shared subscription (`$share/{ShareName}/{filter}`), as written by the client. */
export function shareKey(shared: string): string {
  return createHash("sha256").update(shared, "utf8").digest("hex").slice(0, 32);
}

export const shareGroupKey = (shared: string): string => `g.${shareKey(shared)}`;
export const shareIndexPrefix = (instanceId: string): string => `i.${instanceId}`;
export const shareIndexKey = (instanceId: string, shared: string): string =>
  `${shareIndexPrefix(instanceId)}.${shareKey(shared)}`;

/**
 * Durable consumer of a shared subscription's group, per NATS subject of its filter: it keeps
 * the group's QoS 1/2 messages and hands each to one member, through the deliver group.
 */
export function shareConsumerName(shared: string, subject: string): string {
  return `share_${shareKey(shared)}_${shortHash(subject)}`;
}

/** Where that consumer pushes; members (and NATS workers) subscribe with the group's queue. */
export function shareDeliverSubject(shared: string, subject: string): string {
  return `${MESSAGES_DELIVER_PREFIX}.share.${shareKey(shared)}.${shortHash(subject)}`;
}

/**
 * The NATS queue group of a shared subscription, on its plain subjects and on its consumer's
 * deliver subject: the subscription itself, `$share/{ShareName}/{filter}`, so that a NATS worker
 * joins a group by naming it as MQTT clients do.
 */
export const shareQueue = (shared: string): string => shared;
