import type { IPublishPacket } from "mqtt-packet";
import type { DecodedPublish } from "../src/mqtt/publish_decoder.ts";
import {
  type MessageProps,
  messageProps,
  PUBLISHER_HEADER,
  RETAIN_HEADER,
} from "../src/mqtt/message_props.ts";
import { describeError, TopicError } from "../src/errors.ts";
import { puback, pubrec } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import { topicToSubject } from "../src/mqtt/topic_map.ts";
import type { QoS } from "../src/mqtt/session.ts";
import {
  close,
  type Effect,
  type HandlerContext,
  NO_EFFECTS,
  type NotStored,
  send,
  type SessionContext,
} from "./types.ts";

/**
 * PUBLISH: forwards to NATS on the mapped subject with the QoS header. QoS 1 is stored in the
 * messages stream too, and PUBACKed only once JetStream has it; QoS 2 is held until PUBREL;
 * RETAIN also keeps it as the topic's retained message. Stores are pipelined: the next packet
 * does not wait for them.
 */
export function publish(packet: DecodedPublish, ctx: SessionContext): Effect[] {
  const subject = topicToSubject(packet.topic);
  if (subject instanceof TopicError) {
    return [close(`Invalid topic in PUBLISH: ${subject.message}`, false, Reason.topicNameInvalid)];
  }
  const payload = typeof packet.payload === "string"
    ? new TextEncoder().encode(packet.payload)
    : packet.payload;
  if (payload.byteLength > ctx.bus.maxPayload) {
    return [
      close(
        `PUBLISH payload of ${payload.byteLength} bytes exceeds the NATS max_payload ` +
          `${ctx.bus.maxPayload}`,
        false,
        Reason.packetTooLarge,
      ),
    ];
  }
  const permissions = ctx.session.identity.permissions;
  if (permissions && !permissions.canPublish(packet.topic)) return denied(packet, ctx);
  const props = propsOf(packet, ctx);
  if (packet.qos === 2) return publishQos2(packet, subject, payload, props, ctx);
  if (packet.qos === 0 && !packet.retain) {
    ctx.bus.publish(subject, payload, 0, false, props);
    return NO_EFFECTS;
  }
  const qos = packet.qos;
  const done = storeAndPublish(subject, payload, qos, packet.retain, ctx, undefined, props).then(
    () => (qos === 1 ? puback(packet.messageId ?? 0) : null),
    (err) => notStored(ctx, `QoS ${qos} PUBLISH ${packet.messageId ?? ""}`, subject, err),
  );
  return [{ kind: "sendWhenStored", pending: done }];
}

/**
 * What travels with the message as NATS headers (docs/nats-interop.md): an MQTT 5 publisher's
 * properties and client id (for No Local), and RETAIN (for Retain As Published).
 */
function propsOf(packet: DecodedPublish, ctx: SessionContext): MessageProps | null {
  if (!packet.v5 && !packet.retain) return null;
  const pairs: Array<readonly [string, string]> = [];
  if (packet.v5) {
    pairs.push(...(messageProps(packet.v5.properties, ctx.now())?.pairs ?? []));
    pairs.push([PUBLISHER_HEADER, ctx.session.clientId]);
  }
  if (packet.retain) pairs.push([RETAIN_HEADER, "1"]);
  return pairs.length > 0 ? { pairs } : null;
}

/**
 * A PUBLISH the client may not make is dropped and logged; QoS 1 and 2 are still acknowledged,
 * as MQTT 3.1.1 has no way to say no and a client would otherwise resend it forever; MQTT 5's
 * acknowledgement says 0x87 (not authorized).
 */
function denied(packet: IPublishPacket, ctx: SessionContext): Effect[] {
  ctx.log.warn("publish.denied", {
    clientId: ctx.session.clientId,
    user: ctx.session.identity.name,
    topic: packet.topic,
  });
  const id = packet.messageId ?? 0;
  const no = Reason.notAuthorized;
  return packet.qos === 1
    ? [send(puback(id, no))]
    : packet.qos === 2
    ? [send(pubrec(id, no))]
    : NO_EFFECTS;
}

/**
 * QoS 2, first half: the message is held under (session, packet id), once however often it is
 * sent [MQTT-4.3.3-2], and PUBREC answers; PUBREL (handlers/qos2_acks.ts) releases it.
 */
function publishQos2(
  packet: IPublishPacket,
  subject: string,
  payload: Uint8Array,
  props: MessageProps | null,
  ctx: SessionContext,
): Effect[] {
  if (ctx.limits.rejectQos2Publish) {
    return [
      close("QoS 2 PUBLISH refused: reject_qos2_publish is set", false, Reason.qosNotSupported),
    ];
  }
  const session = ctx.session;
  const id = packet.messageId ?? 0;
  const message = {
    subject,
    payload: Buffer.from(payload).toString("base64"),
    retain: packet.retain,
    ...(props ? { props: props.pairs.map(([k, v]) => [k, v] as [string, string]) } : {}),
  };
  const held = ctx.qos2.hold(session.key, id, message).then(
    () => pubrec(id),
    (err) => notStored(ctx, `QoS 2 PUBLISH ${id}`, subject, err),
  );
  return [{ kind: "sendWhenStored", pending: held }];
}

/**
 * A store that failed for good (its retries spent): no acknowledgement, and the connection
 * closes, so the client sends the message again when it reconnects instead of waiting forever
 * on a live connection.
 */
export function notStored(
  ctx: Pick<SessionContext, "log" | "session">,
  what: string,
  subject: string,
  err: unknown,
): NotStored {
  ctx.log.warn("publish.store_failed", {
    clientId: ctx.session.clientId,
    what,
    subject,
    ...describeError(err),
    action: "closing the connection: the client sends it again on reconnect",
  });
  return { notStored: `${what}: ${describeError(err).message}` };
}

/**
 * Stores what must be stored (QoS 1/2 in the messages stream, RETAIN in the retained stream) and
 * publishes to subscribers. QoS 0 and 1 go to subscribers at once, while JetStream stores them,
 * as a broker forwards what it receives; the caller acknowledges (PUBACK) only once stored. If
 * the store fails, the publisher is closed and sends the message again: subscribers may get it
 * twice, as QoS 1 allows, and persistent sessions get it from their consumers once stored. QoS 2
 * goes to subscribers only once stored: a release retried after a failed store must not reach
 * them twice [MQTT-4.3.3-2].
 */
export async function storeAndPublish(
  subject: string,
  payload: Uint8Array,
  qos: QoS,
  retain: boolean,
  ctx: Pick<HandlerContext, "bus">,
  msgId?: string,
  props: MessageProps | null = null,
): Promise<void> {
  const early = qos < 2;
  if (early) ctx.bus.publish(subject, payload, qos, qos > 0, props);
  const stores: Promise<number>[] = [];
  if (qos > 0) stores.push(ctx.bus.store(subject, payload, qos, msgId, props));
  if (retain) stores.push(ctx.bus.retain(subject, payload, qos, props));
  await Promise.all(stores);
  if (!early) ctx.bus.publish(subject, payload, qos, true, props);
}
