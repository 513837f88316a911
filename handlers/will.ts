import type { IConnectPacket } from "mqtt-packet";
import { describeError, TopicError } from "../src/errors.ts";
import { topicToSubject } from "../src/mqtt/topic_map.ts";
import type { QoS, WillRecord } from "../src/mqtt/session.ts";
import { storeAndPublish } from "./publish.ts";
import type { HandlerContext } from "./types.ts";

/** The will of a CONNECT as it is stored, or why its topic cannot be used. */
export function willOf(packet: IConnectPacket): WillRecord | TopicError | null {
  const will = packet.will;
  if (!will) return null;
  const subject = topicToSubject(will.topic);
  if (subject instanceof TopicError) return subject;
  const payload = typeof will.payload === "string"
    ? Buffer.from(will.payload)
    : Buffer.from(will.payload ?? new Uint8Array(0));
  return {
    subject,
    payload: payload.toString("base64"),
    qos: Math.min(will.qos ?? 0, 2) as QoS,
    retain: will.retain === true,
  };
}

/**
 * Publishes a will like any PUBLISH (stored when QoS 1, kept when RETAIN). Callers make sure
 * it happens once: they only call this after winning the compare-and-set that removed it.
 */
export async function publishWill(
  will: WillRecord,
  clientId: string,
  reason: string,
  ctx: Pick<HandlerContext, "bus" | "log">,
): Promise<void> {
  try {
    await storeAndPublish(
      will.subject,
      Buffer.from(will.payload, "base64"),
      will.qos,
      will.retain,
      ctx,
    );
    ctx.log.info("will.published", { clientId, subject: will.subject, qos: will.qos, reason });
  } catch (err) {
    ctx.log.error("will.failed", { clientId, subject: will.subject, ...describeError(err) });
  }
}
