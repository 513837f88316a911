import { withPort } from "../../net/cidr.ts";
import type {
  Accept,
  FetchHandler,
  Listener,
  ListenOptions,
  Transport,
  TransportPeer,
} from "../types.ts";

/** How often a WebSocket with a backlog is looked at again: Deno has no drain event. */
const DRAIN_POLL_MS = 10;

/**
 * HTTP with Deno.serve; a handler may upgrade a request to a WebSocket whose binary frames are
 * one byte stream. The subprotocol is set on the response after upgrading: Deno's own choice
 * splits the client's offer on ", " only, and fails a client offering "foo,mqtt".
 */
export function serveHttp(options: ListenOptions, fetch: FetchHandler): Promise<Listener> {
  const secure = options.tls !== undefined;
  const stop = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const base = { hostname: options.host, port: options.port, signal: stop.signal };
  const onListen = (addr: Deno.NetAddr) => resolve(addr.port);
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    // Read before upgrading: afterwards the request is the WebSocket's.
    const remoteAddress = withPort(info.remoteAddr.hostname, info.remoteAddr.port);
    return fetch(request, {
      remoteAddress,
      upgrade(protocol, accept, client) {
        if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return null;
        const { socket, response } = Deno.upgradeWebSocket(request);
        response.headers.set("sec-websocket-protocol", protocol);
        const remote = client?.remoteAddress ?? remoteAddress;
        DenoWsTransport.attach(socket, secure ? "wss" : "ws", remote, client?.proxiedBy, accept);
        return response;
      },
    });
  };
  if (options.tls) {
    Deno.serve({ ...base, cert: options.tls.cert, key: options.tls.key, onListen }, handler);
  } else {
    Deno.serve({ ...base, onListen }, handler);
  }
  return listening.then((port) => ({
    port,
    // Stops listening; upgraded WebSockets stay until their connections close them.
    stop: () => Promise.resolve(stop.abort()),
  }));
}

/** A Deno WebSocket as a Transport; its binary frames are one byte stream. */
class DenoWsTransport implements Transport {
  peer: TransportPeer | null = null;
  #polling = false;

  static attach(
    socket: WebSocket,
    kind: "ws" | "wss",
    remoteAddress: string,
    proxiedBy: string | undefined,
    accept: Accept,
  ): void {
    const transport = new DenoWsTransport(socket, kind, remoteAddress, proxiedBy);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      transport.peer = accept(transport);
    };
    // MQTT packets are binary; a text frame is a protocol error the decoder will report.
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      const data = event.data;
      transport.peer?.receive(
        typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data),
      );
    };
    socket.onclose = () => transport.peer?.transportClosed();
    socket.onerror = () => {}; // a close follows
  }

  private constructor(
    readonly socket: WebSocket,
    readonly kind: "ws" | "wss",
    readonly remoteAddress: string,
    readonly proxiedBy?: string,
  ) {}

  write(data: Uint8Array): number {
    if (this.socket.readyState !== WebSocket.OPEN) return -1;
    this.socket.send(data);
    return data.length;
  }

  /** What the socket holds unsent; while any, it is watched so the queue hears when it drains. */
  buffered(): number {
    const amount = this.socket.bufferedAmount;
    if (amount > 0 && !this.#polling) {
      this.#polling = true;
      setTimeout(this.#poll, DRAIN_POLL_MS);
    }
    return amount;
  }

  #poll = (): void => {
    if (this.socket.readyState !== WebSocket.OPEN) return void (this.#polling = false);
    if (this.socket.bufferedAmount > 0) return void setTimeout(this.#poll, DRAIN_POLL_MS);
    this.#polling = false;
    this.peer?.drain();
  };

  end(): void {
    this.socket.close(1000, "closed");
  }

  pause(): void {}

  resume(): void {}
}
