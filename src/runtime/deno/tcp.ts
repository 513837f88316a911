import { withPort } from "../../net/cidr.ts";
import { listenTlsAfterPreface } from "../node/tls_after_preface.ts";
import { PrefaceBuffer } from "../preface_buffer.ts";
import type { Accept, Listener, ListenOptions, Transport, TransportPeer } from "../types.ts";

/** Bytes asked of the socket per read; a read's bytes are copied out before the next. */
const READ_SIZE = 16 * 1024;

/**
 * MQTT over TCP, or TLS, with Deno.listen and Deno.listenTls. Deno's sockets are promise-based:
 * a loop reads each connection, and writes go one at a time (see DenoTransport). TLS behind a
 * preface takes node:tls instead: Deno's TLS listener handshakes from the first byte.
 */
export function listenTcp(options: ListenOptions, accept: Accept): Promise<Listener> {
  const { tls, preface } = options;
  if (tls && preface) return listenTlsAfterPreface({ ...options, tls, preface }, accept);
  const kind = tls ? "tls" : "tcp";
  const listener: Deno.Listener = tls
    ? Deno.listenTls({ hostname: options.host, port: options.port, cert: tls.cert, key: tls.key })
    : Deno.listen({ hostname: options.host, port: options.port });
  void acceptLoop(listener, async (conn) => {
    const addr = conn.remoteAddr as Deno.NetAddr;
    const peer = withPort(addr.hostname, addr.port);
    if (kind === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    const buf = new Uint8Array(READ_SIZE);
    let first: Uint8Array = new Uint8Array(0);
    let remote = peer;
    if (preface) {
      const decided = await readPreface(
        conn,
        buf,
        new PrefaceBuffer(preface, peer),
        preface.timeoutMs,
      );
      if (!decided || "refuse" in decided.decision) return conn.close();
      remote = decided.decision.remoteAddress ?? peer;
      first = decided.rest;
    }
    const transport = new DenoTransport(conn, kind, remote, remote === peer ? undefined : peer);
    transport.peer = accept(transport);
    if (first.length > 0) transport.peer.receive(first);
    await transport.readLoop(buf);
  });
  const addr = listener.addr as Deno.NetAddr;
  let open = true;
  return Promise.resolve({
    port: addr.port,
    // A drain stops the listeners, and the stop after it again: Deno throws on a second close.
    stop: () => {
      if (open) listener.close();
      open = false;
      return Promise.resolve();
    },
  });
}

async function acceptLoop(listener: Deno.Listener, serve: (conn: Deno.Conn) => Promise<void>) {
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch {
      return; // the listener was closed
    }
    serve(conn).catch(() => closeQuietly(conn));
  }
}

/** Reads until the preface reader decides; null when the peer went or the time ran out. */
async function readPreface(
  conn: Deno.Conn,
  buf: Uint8Array,
  gate: PrefaceBuffer,
  timeoutMs: number,
): Promise<ReturnType<PrefaceBuffer["push"]>> {
  const timer = setTimeout(() => closeQuietly(conn), timeoutMs);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return null;
      const done = gate.push(buf.subarray(0, n));
      if (done) return done;
    }
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * A Deno connection as a Transport. Deno's write is a promise: one chunk is written at a time,
 * and a write offered while one is under way takes nothing (0), so the connection's queue holds
 * its bytes and is told to drain when the socket has taken the chunk before them.
 */
class DenoTransport implements Transport {
  peer: TransportPeer | null = null;
  #writing = false;
  #refused = false;
  #ending = false;
  #closed = false;
  #paused: PromiseWithResolvers<void> | null = null;

  constructor(
    readonly conn: Deno.Conn,
    readonly kind: "tcp" | "tls",
    readonly remoteAddress: string,
    readonly proxiedBy?: string,
  ) {}

  write(data: Uint8Array): number {
    if (this.#closed) return -1;
    if (this.#writing) {
      this.#refused = true;
      return 0;
    }
    this.#writing = true;
    void this.#writeAll(data);
    return data.length;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      let at = 0;
      while (at < data.length) at += await this.conn.write(data.subarray(at));
    } catch {
      this.#close();
      return;
    }
    this.#writing = false;
    if (this.#ending) return this.#close();
    if (this.#refused) {
      this.#refused = false;
      this.peer?.drain();
    }
  }

  end(): void {
    this.#ending = true;
    if (!this.#writing) this.#close();
  }

  pause(): void {
    this.#paused ??= Promise.withResolvers<void>();
  }

  resume(): void {
    this.#paused?.resolve();
    this.#paused = null;
  }

  async readLoop(buf: Uint8Array): Promise<void> {
    try {
      for (;;) {
        if (this.#paused) await this.#paused.promise;
        const n = await this.conn.read(buf);
        if (n === null) break;
        // The connection may keep what it is given: a copy, as the buffer is read into again.
        this.peer?.receive(buf.slice(0, n));
      }
    } catch {
      // reset by the peer, or closed by us
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.conn);
    this.resume();
    // Later, as Bun reports a close: end() is called from inside the connection's own code.
    queueMicrotask(() => this.peer?.transportClosed());
  }
}
