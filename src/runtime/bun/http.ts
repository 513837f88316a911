import type { Server, ServerWebSocket } from "bun";
import type {
  Accept,
  FetchHandler,
  Listener,
  ListenOptions,
  Transport,
  TransportPeer,
} from "../types.ts";
import { withPort } from "../../net/cidr.ts";
import { bunTls } from "./tls.ts";

interface WsData {
  readonly remote: string;
  readonly proxiedBy: string | undefined;
  readonly accept: Accept;
  peer: TransportPeer | null;
}

/**
 * HTTP with Bun.serve; a handler may upgrade a request to a WebSocket whose binary frames are
 * one byte stream (a frame may hold several MQTT packets, a packet may span frames).
 */
export function serveHttp(options: ListenOptions, fetch: FetchHandler): Promise<Listener> {
  const secure = options.tls !== undefined;
  const server: Server<WsData> = Bun.serve<WsData>({
    hostname: options.host,
    port: options.port,
    tls: bunTls(options.tls),
    fetch: (request, srv) => {
      const ip = srv.requestIP(request);
      const remoteAddress = withPort(ip?.address ?? "?", ip?.port ?? 0);
      // HTTP/1.0 without Host (HAProxy's default health check) leaves Bun a bare path.
      const req = request.url.startsWith("/")
        ? new Request(`http://${options.host}:${srv.port}${request.url}`, request)
        : request;
      return fetch(req, {
        remoteAddress,
        upgrade(protocol, accept, client) {
          const upgraded = srv.upgrade(request, {
            headers: { "Sec-WebSocket-Protocol": protocol },
            data: {
              remote: client?.remoteAddress ?? remoteAddress,
              proxiedBy: client?.proxiedBy,
              accept,
              peer: null,
            },
          });
          // After an upgrade Bun ignores the response; the handler wants one all the same.
          return upgraded ? new Response(null) : null;
        },
      });
    },
    websocket: {
      open(ws) {
        ws.binaryType = "uint8array";
        ws.data.peer = ws.data.accept(wsTransport(ws, secure));
      },
      // MQTT packets are binary; a text frame is a protocol error the decoder will report.
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
  return Promise.resolve({
    get port() {
      return server.port ?? options.port;
    },
    // Bun's promise waits for the open WebSockets, which their connections close themselves.
    stop: () => Promise.resolve(void server.stop(false)),
  });
}

function wsTransport(ws: ServerWebSocket<WsData>, secure: boolean): Transport {
  return {
    kind: secure ? "wss" : "ws",
    remoteAddress: ws.data.remote,
    ...(ws.data.proxiedBy ? { proxiedBy: ws.data.proxiedBy } : {}),
    // Bun queues what the socket cannot take yet (-1) and calls drain later; 0 means closed.
    write: (data) => (ws.send(data) === 0 ? -1 : data.length),
    buffered: () => ws.getBufferedAmount(),
    end: () => ws.close(1000, "closed"),
    pause: () => {},
    resume: () => {},
  };
}
