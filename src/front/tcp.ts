import type { Socket, TCPSocketListener, TLSOptions } from "bun";
import type { Transport } from "./transport.ts";

/** Receives the transport's events; a Connection implements it. */
export interface TransportPeer {
  receive(chunk: Uint8Array): void;
  drain(): void;
  transportClosed(): void;
}

interface SocketData {
  peer: TransportPeer | null;
}

export interface TcpListener {
  readonly port: number;
  stop(): void;
}

/** MQTT over TCP, or TLS with `tls`, with Bun.listen: a thin adapter from Bun's socket. */
export function listenTcp(
  host: string,
  port: number,
  accept: (transport: Transport) => TransportPeer,
  tls?: TLSOptions,
): TcpListener {
  const kind = tls ? "tls" : "tcp";
  const server: TCPSocketListener<SocketData> = Bun.listen<SocketData>({
    hostname: host,
    port,
    tls,
    data: { peer: null },
    socket: {
      open(socket) {
        socket.setNoDelay(true);
        socket.data = { peer: accept(tcpTransport(socket, kind)) };
      },
      data(socket, chunk) {
        socket.data.peer?.receive(chunk);
      },
      drain(socket) {
        socket.data.peer?.drain();
      },
      close(socket) {
        socket.data.peer?.transportClosed();
      },
      error(socket) {
        socket.data.peer?.transportClosed();
      },
    },
  });
  return {
    get port() {
      return server.port;
    },
    stop: () => server.stop(true),
  };
}

function tcpTransport(socket: Socket<SocketData>, kind: "tcp" | "tls"): Transport {
  return {
    kind,
    remoteAddress: `${socket.remoteAddress}:${socket.remotePort ?? 0}`,
    write: (data) => socket.write(data),
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
