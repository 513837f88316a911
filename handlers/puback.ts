import type { IPubackPacket } from "mqtt-packet";
import type { Effect, SessionContext } from "./types.ts";

/** PUBACK: the client has a QoS 1 message we sent; its delivery is done [MQTT-4.3.2-1]. */
export function puback(packet: IPubackPacket, _ctx: SessionContext): Effect[] {
  return [{ kind: "acked", packetId: packet.messageId ?? 0 }];
}
