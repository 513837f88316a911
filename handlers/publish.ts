import type { IPublishPacket } from "mqtt-packet";
import { TopicError } from "../src/errors.ts";
import { topicToSubject } from "../src/mqtt/topic_map.ts";
import { puback } from "../src/mqtt/packets.ts";
import { describeError } from "../src/errors.ts";
import { close, type Effect, type HandlerContext, NO_EFFECTS } from "./types.ts";

/**
 * PUBLISH: forwards to NATS on the mapped subject with the QoS header. QoS 1 is stored in the
 * messages stream first, and PUBACKed only once JetStream has it.
 */
export function publish(packet: IPublishPacket, ctx: HandlerContext): Effect[] {
  const subject = topicToSubject(packet.topic);
  if (subject instanceof TopicError) return [close(`Invalid topic in PUBLISH: ${subject.message}`)];
  const payload = typeof packet.payload === "string"
    ? new TextEncoder().encode(packet.payload)
    : packet.payload;
  if (payload.byteLength > ctx.bus.maxPayload) {
    return [
      close(
        `PUBLISH payload of ${payload.byteLength} bytes exceeds the NATS max_payload ` +
          `${ctx.bus.maxPayload}`,
      ),
    ];
  }
  switch (packet.qos) {
    case 0:
      ctx.bus.publish(subject, payload, 0);
      return NO_EFFECTS;
    case 1:
      return publishQos1(packet, subject, payload, ctx);
    default:
      return [close("QoS 2 PUBLISH is not supported yet")];
  }
}

/** The store is under way when this returns; PUBACK follows it, in order with the others. */
function publishQos1(
  packet: IPublishPacket,
  subject: string,
  payload: Uint8Array,
  ctx: HandlerContext,
): Effect[] {
  const stored = ctx.bus.store(subject, payload, 1).then(
    () => {
      ctx.bus.publish(subject, payload, 1, true);
      return puback(packet.messageId ?? 0);
    },
    (err) => {
      // No PUBACK: the client keeps the message and sends it again.
      ctx.log.warn("publish.store_failed", {
        clientId: ctx.session?.clientId,
        packetId: packet.messageId,
        subject,
        ...describeError(err),
      });
      return null;
    },
  );
  return [{ kind: "sendWhenStored", pending: stored }];
}
