import type { ISubscribePacket } from "mqtt-packet";
import { TopicError } from "../src/errors.ts";
import { suback, SUBACK_FAILURE } from "../src/mqtt/packets.ts";
import { grantFor } from "./grants.ts";
import { close, type Effect, type Grant, type HandlerContext, send } from "./types.ts";

/**
 * SUBSCRIBE: each filter is granted or refused on its own (0x80), persistent sessions record
 * the granted filters, and delivery starts before SUBACK goes out.
 */
export async function subscribe(packet: ISubscribePacket, ctx: HandlerContext): Promise<Effect[]> {
  const session = ctx.session;
  if (!session) return [close("SUBSCRIBE before CONNECT")];
  const granted: number[] = [];
  const grants: Grant[] = [];
  for (const { topic, qos } of packet.subscriptions) {
    const grant = grantFor(topic, qos);
    if (grant instanceof TopicError) {
      ctx.log.info("subscribe.refused", {
        clientId: session.clientId,
        filter: topic,
        reason: grant.message,
      });
      granted.push(SUBACK_FAILURE);
    } else {
      grants.push(grant);
      granted.push(grant.qos);
    }
  }
  if (!session.clean && grants.length > 0) {
    const owned = await ctx.sessions.update(session.key, ctx.connectionId, (record) => {
      const subscriptions = { ...record.subscriptions };
      for (const g of grants) subscriptions[g.filter] = g.qos;
      return { ...record, subscriptions };
    });
    if (!owned) return [close("Session taken over by a newer connection [MQTT-3.1.4-2]")];
  }
  const effects: Effect[] = [];
  if (grants.length > 0) effects.push({ kind: "subscribe", grants });
  effects.push(send(suback(packet.messageId ?? 0, granted)));
  return effects;
}
