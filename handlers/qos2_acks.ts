import type { IPubcompPacket, IPubrecPacket, IPubrelPacket } from "mqtt-packet";
import { pubcomp } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import { notStored, storeAndPublish } from "./publish.ts";
import type { Effect, SessionContext } from "./types.ts";

/**
 * PUBREL: QoS 2, second half. The held message goes to subscribers (and NATS, with
 * `Nmqtt-Pub: 2`) once, then is forgotten; PUBCOMP answers always, also for an unknown id
 * [MQTT-4.3.3-2] (with reason 0x92 for MQTT 5: already released, or never received). Stored with the (session, id, revision) as JetStream message id, so a release
 * retried after a crash between the store and the forget is stored once.
 */
export function pubrel(packet: IPubrelPacket, ctx: SessionContext): Effect[] {
  const session = ctx.session;
  const id = packet.messageId ?? 0;
  // Pipelined like stores: PUBCOMPs go out in order, the next packet does not wait.
  const released = (async () => {
    const held = await ctx.qos2.held(session.key, id);
    if (held) {
      const m = held.message;
      const payload = Buffer.from(m.payload, "base64");
      const props = m.props ? { pairs: m.props } : null;
      await storeAndPublish(m.subject, payload, 2, m.retain, ctx, held.msgId, props);
      await ctx.qos2.forget(session.key, id);
    }
    return pubcomp(id, held ? Reason.success : Reason.packetIdentifierNotFound);
  })().catch((err) => notStored(ctx, `PUBREL ${id}`, "", err));
  return [{ kind: "sendWhenStored", pending: released }];
}

/** PUBREC: the client has a QoS 2 delivery; from now on it only gets PUBREL [MQTT-4.3.3-1]. */
export function pubrecHandler(packet: IPubrecPacket, _ctx: SessionContext): Effect[] {
  const refused = (packet.reasonCode ?? 0) >= 0x80;
  return [{ kind: "received", packetId: packet.messageId ?? 0, ...(refused ? { refused } : {}) }];
}

/** PUBCOMP: the QoS 2 delivery is complete; its packet identifier is free again. */
export function pubcompHandler(packet: IPubcompPacket, _ctx: SessionContext): Effect[] {
  return [{ kind: "completed", packetId: packet.messageId ?? 0 }];
}
