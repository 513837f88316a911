import type { IConnectPacket } from "mqtt-packet";
import { describeError, TopicError } from "../src/errors.ts";
import { topicToSubject } from "../src/mqtt/topic_map.ts";
import type { QoS, WillRecord } from "../src/mqtt/session.ts";
import { decodeProperties, encodeProperties, type Properties } from "../src/mqtt/v5_properties.ts";
import { type MessageProps, messageProps } from "../src/mqtt/message_props.ts";
import { storeAndPublish } from "./publish.ts";
import type { HandlerContext } from "./types.ts";

/** The will of a CONNECT as it is stored, or why its topic cannot be used. */
export function willOf(
  packet: IConnectPacket & { will?: { props?: Properties } },
): WillRecord | TopicError | null {
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
    ...(will.props?.willDelayInterval ? { delay: will.props.willDelayInterval } : {}),
    ...willProps(will.props),
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
      undefined,
      publishedProps(will),
    );
    ctx.log.info("will.published", { clientId, subject: will.subject, qos: will.qos, reason });
  } catch (err) {
    ctx.log.error("will.failed", { clientId, subject: will.subject, ...describeError(err) });
  }
}

/** A will's MQTT 5 properties as kept with it: all but the Will Delay Interval. */
function willProps(props: Properties | undefined): { props?: string } {
  if (!props) return {};
  const carried: Properties = { ...props };
  delete carried.willDelayInterval;
  if (Object.keys(carried).length === 0) return {};
  return { props: Buffer.from(encodeProperties(carried)).toString("base64") };
}

/** The headers of a will's properties, its Message Expiry counting from now. */
function publishedProps(will: WillRecord): MessageProps | null {
  if (!will.props) return null;
  const decoded = decodeProperties(Buffer.from(will.props, "base64"), 0, "publish");
  return "reason" in decoded ? null : messageProps(decoded.properties, Date.now());
}
