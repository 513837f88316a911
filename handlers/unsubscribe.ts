import type { IUnsubscribePacket } from "mqtt-packet";
import { unsuback } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import type { QoS } from "../src/mqtt/session.ts";
import { removeConsumers } from "./grants.ts";
import { connectionOwner, isShared } from "../src/mqtt/shared_filter.ts";
import { close, type Effect, send, type SessionContext } from "./types.ts";

/**
 * UNSUBSCRIBE: stops delivery and forgets the filters with the messages queued for them (a shared
 * subscription leaves its group: the last member out takes the group's queue along), and
 * always answers UNSUBACK [MQTT-3.10.4-4], for MQTT 5 with 0x11 for each filter that had no
 * subscription.
 */
export async function unsubscribe(
  packet: IUnsubscribePacket,
  ctx: SessionContext,
): Promise<Effect[]> {
  const session = ctx.session;
  const filters = packet.unsubscriptions;
  const reasons = filters.map((f) =>
    ctx.subscribed(f) ? Reason.success : Reason.noSubscriptionExisted
  );
  if (!session.clean) {
    let removed: Array<[string, QoS]> = [];
    const owned = await ctx.sessions.update(session.key, ctx.connectionId, (record) => {
      const subscriptions = { ...record.subscriptions };
      removed = [];
      for (const f of filters) {
        const qos = subscriptions[f];
        if (qos !== undefined) removed.push([f, qos]);
        delete subscriptions[f];
      }
      return { ...record, subscriptions };
    });
    if (owned === null) {
      return [
        close(
          "Session taken over by a newer connection [MQTT-3.1.4-2]",
          false,
          Reason.sessionTakenOver,
        ),
      ];
    }
    for (const [filter, qos] of removed) await removeConsumers(session.key, filter, qos, ctx);
  } else {
    for (const f of filters) {
      if (isShared(f) && ctx.subscribed(f)) {
        await ctx.consumers.leaveShare(
          f,
          session.key,
          connectionOwner(ctx.instanceId, ctx.connectionId),
        );
      }
    }
  }
  return [{ kind: "unsubscribe", filters }, send(unsuback(packet.messageId ?? 0, reasons))];
}
