import type { Socket, TCPSocketListener } from "bun";
import { withPort } from "../../net/cidr.ts";
import { listenTlsAfterPreface } from "../node/tls_after_preface.ts";
import { PrefaceBuffer } from "../preface_buffer.ts";
import type { Accept, Listener, ListenOptions, Transport, TransportPeer } from "../types.ts";
import { bunTls } from "./tls.ts";

/** A connection still reading its preface (PROXY protocol), and then its peer. */
class Prefaced {
  peer: TransportPeer | null = null;
  constructor(
    public gate: PrefaceBuffer | null,
    readonly timer: ReturnType<typeof setTimeout>,
  ) {}
}

/** The peer itself when there is no preface: nothing more is made per connection. */
type SocketData = TransportPeer | Prefaced | null;

const peerOf = (d: SocketData): TransportPeer | null => d instanceof Prefaced ? d.peer : d;

/**
 * MQTT over TCP, or TLS, with Bun.listen: a thin adapter from Bun's socket to a Transport. TLS
 * behind a preface takes node:tls instead: Bun's TLS listener handshakes from the first byte.
 */
export function listenTcp(options: ListenOptions, accept: Accept): Promise<Listener> {
  const { tls, preface } = options;
  if (tls && preface) return listenTlsAfterPreface({ ...options, tls, preface }, accept);
  const kind = tls ? "tls" : "tcp";
  const server: TCPSocketListener<SocketData> = Bun.listen<SocketData>({
    hostname: options.host,
    port: options.port,
    tls: bunTls(tls),
    data: null,
    socket: {
      open(socket) {
        // No setNoDelay: Bun's accepted sockets have TCP_NODELAY already (one system call less).
        const peer = withPort(socket.remoteAddress, socket.remotePort ?? 0);
        if (!preface) {
          socket.data = accept(tcpTransport(socket, kind, peer));
          return;
        }
        const timer = setTimeout(() => socket.end(), preface.timeoutMs);
        socket.data = new Prefaced(new PrefaceBuffer(preface, peer), timer);
      },
      data(socket, chunk) {
        const d = socket.data;
        if (!(d instanceof Prefaced)) return d?.receive(chunk);
        if (d.peer) return d.peer.receive(chunk);
        const done = d.gate?.push(chunk);
        if (!done || !d.gate) return;
        const peer = d.gate.peerAddress;
        d.gate = null;
        clearTimeout(d.timer);
        if ("refuse" in done.decision) return void socket.end();
        const remote = done.decision.remoteAddress ?? peer;
        d.peer = accept(tcpTransport(socket, kind, remote, remote === peer ? undefined : peer));
        if (done.rest.length > 0) d.peer.receive(done.rest);
      },
      drain(socket) {
        peerOf(socket.data)?.drain();
      },
      close(socket) {
        if (socket.data instanceof Prefaced) clearTimeout(socket.data.timer);
        peerOf(socket.data)?.transportClosed();
      },
      error(socket) {
        peerOf(socket.data)?.transportClosed();
      },
    },
  });
  return Promise.resolve({
    get port() {
      return server.port;
    },
    stop: () => Promise.resolve(server.stop(false)),
  });
}

/** A Bun socket as a Transport: methods on one prototype, nothing made per connection. */
class BunTcpTransport implements Transport {
  constructor(
    readonly socket: Socket<SocketData>,
    readonly kind: "tcp" | "tls",
    readonly remoteAddress: string,
    readonly proxiedBy?: string,
  ) {}

  write(data: Uint8Array): number {
    return this.socket.write(data);
  }

  end(): void {
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

function tcpTransport(
  socket: Socket<SocketData>,
  kind: "tcp" | "tls",
  remoteAddress: string,
  proxiedBy?: string,
): Transport {
  return new BunTcpTransport(socket, kind, remoteAddress, proxiedBy);
}
