import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
// The library's own parser is the reference: whatever it makes of a byte stream, so must ours.
import { Parser } from "@nats-io/nats-core/internal";
import { FastParser, type ParserEvent } from "../src/nats/fast_parser.ts";
import { NatsProtocolError } from "../src/errors.ts";
import { connectNats } from "../src/nats/connection.ts";
import { createLogger } from "../src/log.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A seeded generator, so that a failure can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Events in a form both parsers' can be compared in. */
function plain(e: ParserEvent | { kind: number; msg?: unknown; data?: Uint8Array }): unknown {
  if (e.kind !== 2) {
    return { kind: e.kind, data: "data" in e && e.data ? dec.decode(e.data) : null };
  }
  const { msg, data } = e as Extract<ParserEvent, { kind: 2 }>;
  return {
    kind: 2,
    subject: dec.decode(msg.subject),
    sid: msg.sid,
    reply: msg.reply ? dec.decode(msg.reply) : null,
    hdr: msg.hdr,
    size: msg.size,
    data: digest(data),
  };
}

/** FNV-1a of the bytes with their length: equal payloads, equal digests. */
function digest(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193);
  return `${data.length}:${h >>> 0}`;
}

/** A server's stream of every operation, payloads of 0 bytes to 300 kB, headers or none. */
function serverStream(next: () => number, ops: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ops; i++) {
    const r = next();
    if (r < 0.05) parts.push(enc.encode("PING\r\n"));
    else if (r < 0.1) parts.push(enc.encode("PONG\r\n"));
    else if (r < 0.13) parts.push(enc.encode("+OK\r\n"));
    else if (r < 0.15) parts.push(enc.encode("-ERR 'Permissions Violation for Subscription'\r\n"));
    else if (r < 0.17) {
      parts.push(enc.encode(`INFO {"server_id":"x${i}","max_payload":1048576}\r\n`));
    } else {
      const big = next() < 0.03;
      const size = big ? Math.floor(next() * 300_000) : Math.floor(next() * 300);
      const payload = new Uint8Array(size).map(() => Math.floor(next() * 256));
      const reply = next() < 0.6 ? ` $JS.ACK.s.c.1.${i}.${i}.1733600000000000000.0` : "";
      const subject = `a.b${i % 7}.c`;
      // Blanks other than one space between words are the protocol too.
      const blank = [" ", " ", " ", "\t", "  ", " \t"][Math.floor(next() * 6)];
      if (next() < 0.5) {
        parts.push(
          enc.encode(`MSG${blank}${subject} ${i % 50}${reply}${blank}${size}\r\n`),
          payload,
        );
      } else {
        const hdr = enc.encode(`NATS/1.0\r\nNmqtt-Pub: ${i % 3}\r\n\r\n`);
        const total = hdr.length + size;
        parts.push(enc.encode(`HMSG ${subject} ${i % 50}${reply} ${hdr.length} ${total}\r\n`), hdr);
        parts.push(payload);
      }
      parts.push(enc.encode("\r\n"));
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

/** Feeds `stream` to a parser in chunks of random sizes, as a socket would hand them over. */
function feed(parse: (chunk: Uint8Array) => void, stream: Uint8Array, next: () => number): void {
  for (let at = 0; at < stream.length;) {
    const r = next();
    const size = r < 0.3 ? 1 + Math.floor(next() * 8) : 1 + Math.floor(next() * 70_000);
    // A copy each time: sockets give new buffers, and a view must not outlive its chunk's use.
    parse(stream.slice(at, at + size));
    at += size;
  }
}

function parsedBy(kind: "library" | "fast", stream: Uint8Array, seed: number): unknown[] {
  const events: unknown[] = [];
  const dispatcher = { push: (e: ParserEvent) => events.push(plain(e)) };
  const parser = kind === "fast"
    ? new FastParser(dispatcher)
    : new Parser(dispatcher as unknown as ConstructorParameters<typeof Parser>[0]);
  feed((c) => parser.parse(c), stream, random(seed));
  return events;
}

describe("FastParser", () => {
  test("makes of any server stream, cut anywhere, exactly what the library's parser makes", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const stream = serverStream(random(seed * 7919), 300);
      const expected = parsedBy("library", stream, seed);
      expect(expected.length).toBe(300);
      // Cut where the library's parser was cut, and elsewhere.
      expect(parsedBy("fast", stream, seed)).toEqual(expected);
      expect(parsedBy("fast", stream, seed + 1000)).toEqual(expected);
    }
  });

  test("a stream cut into single bytes gives the same events", () => {
    const stream = serverStream(random(99), 60);
    const events: unknown[] = [];
    const parser = new FastParser({ push: (e) => events.push(plain(e)) });
    for (let i = 0; i < stream.length; i++) parser.parse(stream.subarray(i, i + 1));
    expect(parser.busy).toBe(false);
    expect(events).toEqual(parsedBy("library", stream, 5));
  });

  test("a payload in many chunks is joined once, whole", () => {
    const payload = new Uint8Array(1_000_000).map((_, i) => i % 251);
    const stream = new Uint8Array([
      ...enc.encode(`MSG big 1 ${payload.length}\r\n`),
      ...payload,
      ...enc.encode("\r\nPING\r\n"),
    ]);
    const events: ParserEvent[] = [];
    const parser = new FastParser({ push: (e) => events.push(e) });
    for (let at = 0; at < stream.length; at += 65_536) parser.parse(stream.slice(at, at + 65_536));
    expect(events.map((e) => e.kind)).toEqual([2, 4]);
    const msg = events[0] as Extract<ParserEvent, { kind: 2 }>;
    expect(msg.data).toEqual(payload);
  });

  test("what is not the protocol throws, as the library's parser does", () => {
    for (
      const bad of ["HELLO\r\n", "MSG a b 3\r\nabc\r\n", "MSX a 1 3\r\nabc\r\n", "MSG a 1\r\n"]
    ) {
      const fast = new FastParser({ push: () => {} });
      expect(() => fast.parse(enc.encode(bad))).toThrow(NatsProtocolError);
      const lib = new Parser(
        { push: () => {} } as unknown as ConstructorParameters<typeof Parser>[0],
      );
      expect(() => lib.parse(enc.encode(bad))).toThrow();
    }
  });
});

describe("jetmq's NATS connection with FastParser", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let other: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    const log = createLogger("silent", () => {});
    nc = await connectNats({ url: nats.url, name: "fast-parser-test", apiTimeoutMs: 5000, log });
    other = await nats.client();
  });
  afterAll(async () => {
    await nc.close();
    await other.close();
    await nats[Symbol.asyncDispose]();
  });

  test("reads with it, and receives messages of every size, headers and replies intact", async () => {
    const protocol = (nc as unknown as { protocol: { parser: unknown } }).protocol;
    expect(protocol.parser).toBeInstanceOf(FastParser);
    const got: Array<{ size: number; first: number; hdr: string | undefined; reply: string }> = [];
    nc.subscribe("fp.>", {
      callback: (_e, m) => {
        got.push({
          size: m.data.length,
          first: m.data[0] ?? -1,
          hdr: m.headers?.get("X-Seq") || undefined,
          reply: m.reply ?? "",
        });
      },
    });
    await nc.flush();
    const sizes = [0, 1, 100, 70_000, 900_000, 5, 0];
    sizes.forEach((size, i) => {
      const h = natsHeaders();
      h.set("X-Seq", String(i));
      const payload = new Uint8Array(size).fill(i + 1);
      other.publish(`fp.${i}`, payload, i % 2 ? { headers: h, reply: `r.${i}` } : {});
    });
    await waitFor(() => got.length === sizes.length, { timeoutMs: 10_000, what: "every message" });
    expect(got).toEqual(sizes.map((size, i) => ({
      size,
      first: size ? i + 1 : -1,
      hdr: i % 2 ? String(i) : undefined,
      reply: i % 2 ? `r.${i}` : "",
    })));
    // Requests (PING/PONG, replies through the library's inbox) go on as before.
    const rtt = await nc.rtt();
    expect(rtt).toBeGreaterThanOrEqual(0);
  });
});
