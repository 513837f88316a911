import { createHash } from "node:crypto";

// Every bucket, stream, subject and durable name jetmq uses is built here and nowhere else.
// Changing one of these strings is a data migration: test/names_test.ts pins them.

/** First subject token of everything internal; never subscribable or publishable by clients. */
export const INTERNAL_PREFIX = "$JETMQ";

/** KV bucket holding one session record per client id. */
export const SESSIONS_BUCKET = "jetmq_sessions";

/** Stream of QoS 1 and 2 messages, interest retention. */
export const MESSAGES_STREAM = "jetmq_msgs";
export const MESSAGES_SUBJECTS = `${INTERNAL_PREFIX}.msgs.>`;

/** Inbox prefix of jetmq's own NATS connection, kept out of the users' `_INBOX` space. */
export const INBOX_PREFIX = `${INTERNAL_PREFIX}._INBOX`;

/** Control subjects that every instance listens on. */
export const TAKEOVER_SUBJECTS = `${INTERNAL_PREFIX}.ctl.takeover.*`;

/** Subject under which a QoS 1/2 message for NATS subject `subject` is stored. */
export function messageSubject(subject: string): string {
  return `${INTERNAL_PREFIX}.msgs.${subject}`;
}

/** Full-width SHA-256 of the client id: safe as a KV key and a subject token, no collisions. */
export function sessionKey(clientId: string): string {
  return createHash("sha256").update(clientId, "utf8").digest("hex");
}

export function takeoverSubject(key: string): string {
  return `${INTERNAL_PREFIX}.ctl.takeover.${key}`;
}

/** NATS subject token → session key, for messages received on TAKEOVER_SUBJECTS. */
export function keyOfTakeoverSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf(".") + 1);
}
