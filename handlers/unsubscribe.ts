import type { IUnsubscribePacket } from "mqtt-packet";
import { unsuback } from "../src/mqtt/packets.ts";
import { close, type Effect, type HandlerContext, send } from "./types.ts";

/** UNSUBSCRIBE: stops delivery, forgets the filters, and always answers UNSUBACK [MQTT-3.10.4-4]. */
export async function unsubscribe(
  packet: IUnsubscribePacket,
  ctx: HandlerContext,
): Promise<Effect[]> {
  const session = ctx.session;
  if (!session) return [close("UNSUBSCRIBE before CONNECT")];
  const filters = packet.unsubscriptions;
  if (!session.clean) {
    const owned = await ctx.sessions.update(session.key, ctx.connectionId, (record) => {
      const subscriptions = { ...record.subscriptions };
      for (const f of filters) delete subscriptions[f];
      return { ...record, subscriptions };
    });
    if (!owned) return [close("Session taken over by a newer connection [MQTT-3.1.4-2]")];
  }
  return [{ kind: "unsubscribe", filters }, send(unsuback(packet.messageId ?? 0))];
}
