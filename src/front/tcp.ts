import type { Socket, TCPSocketListener } from "bun";
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

/** MQTT over TCP with Bun.listen: a thin adapter from Bun's socket to Transport. */
export function listenTcp(
  host: string,
  port: number,
  accept: (transport: Transport) => TransportPeer,
): TcpListener {
  const server: TCPSocketListener<SocketData> = Bun.listen<SocketData>({
    hostname: host,
    port,
    data: { peer: null },
    socket: {
      open(socket) {
        socket.setNoDelay(true);
        socket.data = { peer: accept(tcpTransport(socket)) };
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

function tcpTransport(socket: Socket<SocketData>): Transport {
  return {
    kind: "tcp",
    remoteAddress: `${socket.remoteAddress}:${socket.remotePort ?? 0}`,
    write: (data) => socket.write(data),
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
