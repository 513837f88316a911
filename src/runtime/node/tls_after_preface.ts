import { createServer, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { createSecureContext, TLSSocket } from "node:tls";
import { withPort } from "../../net/cidr.ts";
import { PrefaceBuffer } from "../preface_buffer.ts";
import type { Accept, Listener, ListenOptions, Preface, TlsSettings, Transport } from "../types.ts";

/**
 * TLS that starts after a preface (a PROXY protocol header comes before the TLS handshake),
 * with node:net and node:tls, which Bun and Deno both provide: their own TLS listeners begin the
 * handshake with the first byte.
 */
export function listenTlsAfterPreface(
  options: ListenOptions & { tls: TlsSettings; preface: Preface },
  accept: Accept,
): Promise<Listener> {
  const { tls, preface } = options;
  const context = createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca ?? undefined });
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const peer = withPort(socket.remoteAddress ?? "?", socket.remotePort ?? 0);
    const gate = new PrefaceBuffer(preface, peer);
    const timer = setTimeout(() => socket.destroy(), preface.timeoutMs);
    const onData = (chunk: Uint8Array) => {
      const done = gate.push(chunk);
      if (!done) return;
      clearTimeout(timer);
      socket.off("data", onData);
      if ("refuse" in done.decision) return void socket.destroy();
      const remote = done.decision.remoteAddress ?? peer;
      startTls(socket, done.rest, remote, remote === peer ? undefined : peer);
    };
    socket.on("data", onData);
    socket.on("error", () => clearTimeout(timer));
    socket.on("close", () => clearTimeout(timer));
  });

  function startTls(socket: Socket, first: Uint8Array, remote: string, proxiedBy?: string) {
    // The TLS layer reads from this stream: the bytes after the preface, then the socket's.
    const stream = new Duplex({
      read() {},
      write(chunk, _encoding, done) {
        socket.write(chunk, done);
      },
      final(done) {
        socket.end();
        done();
      },
    });
    if (first.length > 0) stream.push(first);
    socket.on("data", (chunk) => stream.push(chunk));
    socket.on("end", () => stream.push(null));
    socket.on("close", () => stream.destroy());
    const secure = new TLSSocket(stream as unknown as Socket, {
      isServer: true,
      secureContext: context,
      requestCert: tls.ca !== null,
      rejectUnauthorized: tls.ca !== null,
    });
    secure.on("secure", () => {
      const peer = accept(streamTransport(secure, socket, remote, proxiedBy));
      secure.on("data", (chunk: Uint8Array) => peer.receive(chunk));
      secure.on("drain", () => peer.drain());
      secure.on("close", () => peer.transportClosed());
    });
    secure.on("error", () => socket.destroy());
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        port,
        // close() waits for open connections to end: do not wait for it.
        stop: () => Promise.resolve(void server.close()),
      });
    });
  });
}

function streamTransport(
  secure: TLSSocket,
  socket: Socket,
  remoteAddress: string,
  proxiedBy?: string,
): Transport {
  return {
    kind: "tls",
    remoteAddress,
    ...(proxiedBy ? { proxiedBy } : {}),
    // A stream takes everything and queues it: `buffered` tells the queue's size.
    write: (data) => (secure.destroyed ? -1 : (secure.write(data), data.length)),
    buffered: () => secure.writableLength,
    end: () => secure.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
