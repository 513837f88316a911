import type { IPingreqPacket } from "mqtt-packet";
import { pingresp } from "../src/mqtt/packets.ts";
import { type Effect, send, type SessionContext } from "./types.ts";

const PONG: Effect[] = [send(pingresp)];

/** PINGREQ: answered with PINGRESP [MQTT-3.12.4-1]. */
export function pingreq(_packet: IPingreqPacket, _ctx: SessionContext): Effect[] {
  return PONG;
}
