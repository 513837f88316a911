import { Hono } from "hono";
import type { Accept, FetchHandler, HttpConnection } from "../runtime/types.ts";

/** Subprotocols MQTT clients ask for; the first one the client offers is chosen. */
export const SUBPROTOCOLS = ["mqtt", "mqttv3.1"];

/**
 * MQTT over WebSocket at `/mqtt`: Hono routes, the runtime upgrades. The subprotocol is chosen
 * here, not by the runtime, so that a client offering others first still gets an MQTT one.
 */
export function mqttOverWebSocket(accept: Accept): FetchHandler {
  const app = new Hono<{ Bindings: { conn: HttpConnection } }>();
  app.get("/mqtt", (c) => {
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const protocol = offered.find((p) => SUBPROTOCOLS.includes(p));
    if (!protocol) {
      return c.text(`Ask for one of the WebSocket subprotocols ${SUBPROTOCOLS.join(", ")}`, 400);
    }
    return c.env.conn.upgrade(protocol, accept) ?? c.text("Expected a WebSocket upgrade", 426);
  });
  return (req, conn) => app.fetch(req, { conn });
}
