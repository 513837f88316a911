import type { Socket, TCPSocketListener } from "bun";
import type { Accept, Listener, ListenOptions, Transport, TransportPeer } from "../types.ts";
import { bunTls } from "./tls.ts";

interface SocketData {
  peer: TransportPeer | null;
}

/** MQTT over TCP, or TLS, with Bun.listen: a thin adapter from Bun's socket to a Transport. */
export function listenTcp(options: ListenOptions, accept: Accept): Listener {
  const kind = options.tls ? "tls" : "tcp";
  const server: TCPSocketListener<SocketData> = Bun.listen<SocketData>({
    hostname: options.host,
    port: options.port,
    tls: bunTls(options.tls),
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
    stop: () => Promise.resolve(server.stop(true)),
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
