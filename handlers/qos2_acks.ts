import type { IPubcompPacket, IPubrecPacket, IPubrelPacket } from "mqtt-packet";
import { pubcomp } from "../src/mqtt/packets.ts";
import { qos2Key } from "../src/nats/names.ts";
import { storeAndPublish } from "./publish.ts";
import { describeError } from "../src/errors.ts";
import { close, type Effect, type HandlerContext } from "./types.ts";

/**
 * PUBREL: QoS 2, second half. The held message goes to subscribers (and NATS, with
 * `Nmqtt-Pub: 2`) once, then is forgotten; PUBCOMP answers always, also for an unknown id
 * [MQTT-4.3.3-2]. Stored with the (session, id, revision) as JetStream message id, so a release
 * retried after a crash between the store and the forget is stored once.
 */
export function pubrel(packet: IPubrelPacket, ctx: HandlerContext): Effect[] {
  const session = ctx.session;
  if (!session) return [close("PUBREL before CONNECT")];
  const id = packet.messageId ?? 0;
  // Pipelined like stores: PUBCOMPs go out in order, the next packet does not wait.
  const released = (async () => {
    const held = await ctx.qos2.held(session.key, id);
    if (held) {
      const m = held.message;
      const msgId = `${qos2Key(session.key, id)}.${held.revision}`;
      await storeAndPublish(m.subject, Buffer.from(m.payload, "base64"), 2, m.retain, ctx, msgId);
      await ctx.qos2.forget(session.key, id);
    }
    return pubcomp(id);
  })().catch((err) => {
    // No PUBCOMP: the client sends PUBREL again when it reconnects.
    ctx.log.warn("pubrel.failed", {
      clientId: session.clientId,
      packetId: id,
      ...describeError(err),
    });
    return null;
  });
  return [{ kind: "sendWhenStored", pending: released }];
}

/** PUBREC: the client has a QoS 2 delivery; from now on it only gets PUBREL [MQTT-4.3.3-1]. */
export function pubrecHandler(packet: IPubrecPacket, _ctx: HandlerContext): Effect[] {
  return [{ kind: "received", packetId: packet.messageId ?? 0 }];
}

/** PUBCOMP: the QoS 2 delivery is complete; its packet identifier is free again. */
export function pubcompHandler(packet: IPubcompPacket, _ctx: HandlerContext): Effect[] {
  return [{ kind: "completed", packetId: packet.messageId ?? 0 }];
}
