import type { IDisconnectPacket } from "mqtt-packet";
import { close, type Effect, type SessionContext } from "./types.ts";

/** DISCONNECT: a clean end; the connection closes without publishing a will [MQTT-3.14.4-3]. */
export function disconnect(_packet: IDisconnectPacket, _ctx: SessionContext): Effect[] {
  return [close("Client sent DISCONNECT", true)];
}
