import type { Socket } from "bun";
import { encodePublish } from "../src/mqtt/packets.ts";

/** A PUBLISH as the bench sees it: the payload is a view valid only during the callback. */
export type OnPublish = (payload: Uint8Array, qos: number, dup: boolean) => void;

const te = new TextEncoder();

function str(s: string): number[] {
  const b = te.encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
}

function packet(type: number, body: number[]): Uint8Array {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Uint8Array.from([type, ...len, ...body]);
}

export interface ConnectOptions {
  clientId?: string;
  clean?: boolean;
  /**
   * Set before CONNECT goes out: a resumed session's messages may come in the same read as the
   * CONNACK, before the caller could set it.
   */
  onPublish?: OnPublish;
}

/**
 * A minimal MQTT 3.1.1 client for load: raw socket, pre-encoded packets, writes batched per
 * tick, a parser that looks only at what the bench needs, PUBACKs for QoS 1 sent in batches.
 */
export class BenchClient {
  onPublish: OnPublish = () => {};
  onPuback: (id: number) => void = () => {};
  sessionPresent = false;
  closed = false;
  #socket!: Socket<undefined>;
  #rest: Uint8Array | null = null;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #scheduled = false;
  #waiters = new Map<number, (p: Uint8Array) => void>();
  #drained: (() => void) | null = null;
  #onEnd: (() => void) | null = null;

  static async connect(port: number, opts: ConnectOptions = {}): Promise<BenchClient> {
    const c = new BenchClient();
    if (opts.onPublish) c.onPublish = opts.onPublish;
    c.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, chunk) => c.#receive(chunk),
        drain: () => c.#flush(),
        close: () => c.#ended(),
        error: () => c.#ended(),
      },
    });
    c.#socket.setNoDelay(true);
    const id = opts.clientId ?? `b${crypto.randomUUID().slice(0, 12)}`;
    const flags = opts.clean === false ? 0x00 : 0x02;
    const connack = c.#expect(2);
    c.write(packet(0x10, [...str("MQTT"), 4, flags, 0, 0, ...str(id)]));
    // A broker that never answers (or closes first) fails the run instead of hanging it.
    const ended = new Promise<never>((_, reject) => {
      c.#onEnd = () => reject(new Error(`Connection closed before CONNACK for ${id}`));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No CONNACK within 30 s for ${id}`)), 30_000);
    });
    const ack = await Promise.race([connack, ended, late]).finally(() => {
      clearTimeout(timer);
      c.#onEnd = null;
    });
    if (ack[1] !== 0) throw new Error(`CONNACK ${ack[1]} for ${id}`);
    c.sessionPresent = (ack[0] ?? 0) === 1;
    return c;
  }

  async subscribe(filter: string, qos: number): Promise<number> {
    const suback = this.#expect(9);
    this.write(packet(0x82, [0, 1, ...str(filter), qos]));
    return (await suback)[2] ?? 0x80;
  }

  /** Queues bytes; everything queued in one tick goes out in one write. */
  write(bytes: Uint8Array): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Bytes not yet taken by the socket. */
  get backlog(): number {
    return this.#outBytes;
  }

  /** Resolves when the socket has taken everything queued. */
  async drained(): Promise<void> {
    if (this.#outBytes === 0) return;
    await new Promise<void>((r) => (this.#drained = r));
  }

  close(): void {
    if (this.closed) return;
    this.#socket.end();
    this.closed = true;
  }

  /** Sends DISCONNECT and waits for the server to close the socket. */
  async disconnect(): Promise<void> {
    const ended = new Promise<void>((resolve) => (this.#onEnd = resolve));
    this.write(Uint8Array.of(0xe0, 0));
    await Promise.race([ended, Bun.sleep(5000)]);
    this.close();
  }

  #ended(): void {
    this.closed = true;
    this.#onEnd?.();
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#outBytes === 0 || this.closed) return;
    const all = this.#out.length === 1 ? this.#out[0] as Uint8Array : Buffer.concat(this.#out);
    const n = this.#socket.write(all);
    if (n < 0) {
      this.closed = true;
      return;
    }
    this.#out = n < all.length ? [all.subarray(n)] : [];
    this.#outBytes = all.length - n;
    if (this.#outBytes === 0 && this.#drained) {
      const d = this.#drained;
      this.#drained = null;
      d();
    }
  }

  #expect(type: number): Promise<Uint8Array> {
    return new Promise((resolve) => this.#waiters.set(type, resolve));
  }

  #receive(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#rest) {
      buf = Buffer.concat([this.#rest, chunk]);
      this.#rest = null;
    }
    let at = 0;
    const acks: number[] = [];
    while (at < buf.length) {
      let len = 0;
      let mul = 1;
      let i = at + 1;
      let complete = false;
      for (; i < buf.length && i < at + 5; i++) {
        const b = buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || i + len > buf.length) break;
      const head = buf[at] as number;
      const body = buf.subarray(i, i + len);
      at = i + len;
      const type = head >> 4;
      if (type === 3) {
        const qos = (head >> 1) & 3;
        const topicLen = ((body[0] as number) << 8) | (body[1] as number);
        let p = 2 + topicLen;
        if (qos > 0) {
          const id = ((body[p] as number) << 8) | (body[p + 1] as number);
          p += 2;
          acks.push(qos === 1 ? 0x40 : 0x50, 2, id >> 8, id & 0xff); // PUBACK or PUBREC
        }
        this.onPublish(body.subarray(p), qos, (head & 0x08) !== 0);
      } else if (type === 4 || type === 7) {
        // PUBACK (QoS 1) or PUBCOMP (QoS 2): the publish is done.
        this.onPuback(((body[0] as number) << 8) | (body[1] as number));
      } else if (type === 5 || type === 6) {
        // PUBREC → PUBREL (as publisher); PUBREL → PUBCOMP (as subscriber).
        acks.push(type === 5 ? 0x62 : 0x70, 2, body[0] as number, body[1] as number);
      } else {
        const waiter = this.#waiters.get(type);
        this.#waiters.delete(type);
        waiter?.(body);
      }
    }
    if (at < buf.length) this.#rest = Buffer.from(buf.subarray(at));
    if (acks.length > 0) this.write(Uint8Array.from(acks));
  }
}

/** 64-byte payload: send time (ms, performance.now) and sequence number, then padding. */
export function stampedPayload(seq: number): Uint8Array {
  const p = new Uint8Array(64);
  const v = new DataView(p.buffer);
  v.setFloat64(0, performance.now());
  v.setUint32(8, seq);
  return p;
}

export const stampOf = (payload: Uint8Array): number =>
  new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getFloat64(0);

export const seqOf = (payload: Uint8Array): number =>
  new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(8);

/** A PUBLISH ready to write; QoS 1 and 2 need a packet id. */
export const publishBytes = (
  topic: string,
  payload: Uint8Array,
  qos: 0 | 1 | 2,
  id = 0,
): Uint8Array => encodePublish(te.encode(topic), payload, qos, false, false, id);

/**
 * `count` clients connect, do `each` (subscribe, say) and go, before a memory measurement: the
 * broker has then compiled the code they run and made its pools, and what the clients measured
 * next add to its RSS is what they cost, not what its first client costs. Few enough that the
 * memory they leave behind to reuse is small beside what is measured.
 */
export async function warmUp(
  port: number,
  count = 100,
  each: (client: BenchClient, i: number) => Promise<unknown> = async () => {},
): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const c = await BenchClient.connect(port);
      await each(c, i);
      return c;
    }),
  );
  for (const c of clients) c.close();
}
