import { Hono } from "hono";
import type { Server, ServerWebSocket, TLSOptions } from "bun";
import type { TransportPeer } from "./tcp.ts";
import type { Transport } from "./transport.ts";

/** Subprotocols MQTT clients ask for; the first one the client offers is chosen. */
const SUBPROTOCOLS = ["mqtt", "mqttv3.1"];

interface WsData {
  readonly protocol: string;
  readonly remote: string;
  peer: TransportPeer | null;
}

export interface WsListener {
  readonly port: number;
  stop(): void;
}

/**
 * MQTT over WebSocket at `/mqtt`: Hono routes the upgrade, Bun's WebSocket server carries binary
 * frames. A frame may hold several packets and a packet may span frames: the connection's
 * decoder sees one byte stream either way.
 */
export function listenWs(
  host: string,
  port: number,
  tls: TLSOptions | undefined,
  accept: (transport: Transport) => TransportPeer,
): WsListener {
  const app = new Hono<{ Bindings: { server: Server<WsData> } }>();
  app.get("/mqtt", (c) => {
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const protocol = offered.find((p) => SUBPROTOCOLS.includes(p));
    if (!protocol) {
      return c.text(`Ask for one of the WebSocket subprotocols ${SUBPROTOCOLS.join(", ")}`, 400);
    }
    const remote = c.env.server.requestIP(c.req.raw);
    const upgraded = c.env.server.upgrade(c.req.raw, {
      headers: { "Sec-WebSocket-Protocol": protocol },
      data: { protocol, remote: `${remote?.address ?? "?"}:${remote?.port ?? 0}`, peer: null },
    });
    // After an upgrade Bun ignores the response; Hono wants one all the same.
    return upgraded ? new Response(null) : c.text("Expected a WebSocket upgrade", 426);
  });
  const server: Server<WsData> = Bun.serve<WsData>({
    hostname: host,
    port,
    tls,
    fetch: (req, srv) => app.fetch(req, { server: srv }),
    websocket: {
      // MQTT packets are binary; a text frame is a protocol error the decoder will report.
      open(ws) {
        ws.binaryType = "uint8array";
        ws.data.peer = accept(wsTransport(ws, tls !== undefined));
      },
      message(ws, message) {
        ws.data.peer?.receive(
          typeof message === "string" ? new TextEncoder().encode(message) : message,
        );
      },
      drain(ws) {
        ws.data.peer?.drain();
      },
      close(ws) {
        ws.data.peer?.transportClosed();
      },
    },
  });
  return {
    get port() {
      return server.port ?? port;
    },
    stop: () => void server.stop(true),
  };
}

function wsTransport(ws: ServerWebSocket<WsData>, secure: boolean): Transport {
  return {
    kind: secure ? "wss" : "ws",
    remoteAddress: ws.data.remote,
    // Bun queues what the socket cannot take yet (-1) and calls drain later; 0 means closed.
    write: (data) => (ws.send(data) === 0 ? -1 : data.length),
    buffered: () => ws.getBufferedAmount(),
    end: () => ws.close(1000, "closed"),
    pause: () => {},
    resume: () => {},
  };
}
