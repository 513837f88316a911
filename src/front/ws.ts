import { Hono } from "hono";
import type { AddressList } from "../net/cidr.ts";
import type { Accept, FetchHandler, HttpConnection } from "../runtime/types.ts";
import { forwardedClient } from "./forwarded.ts";

/** Subprotocols MQTT clients ask for; the first one the client offers is chosen. */
export const SUBPROTOCOLS = ["mqtt", "mqttv3.1"];

/**
 * MQTT over WebSocket at `/mqtt`: Hono routes, the runtime upgrades. The subprotocol is chosen
 * here, not by the runtime, so that a client offering others first still gets an MQTT one.
 * Behind a trusted HTTP proxy the client's address comes from its forwarding headers.
 */
export function mqttOverWebSocket(accept: Accept, trustedProxies: AddressList): FetchHandler {
  const app = new Hono<{ Bindings: { conn: HttpConnection } }>();
  app.get("/mqtt", (c) => {
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const protocol = offered.find((p) => SUBPROTOCOLS.includes(p));
    if (!protocol) {
      return c.text(`Ask for one of the WebSocket subprotocols ${SUBPROTOCOLS.join(", ")}`, 400);
    }
    const client = forwardedClient(c.req.raw.headers, c.env.conn.remoteAddress, trustedProxies);
    return c.env.conn.upgrade(protocol, accept, client ?? undefined) ??
      c.text("Expected a WebSocket upgrade", 426);
  });
  return (req, conn) => app.fetch(req, { conn });
}
