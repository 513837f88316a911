import { headers, type MsgHdrs } from "@nats-io/transport-node";

const encoder = new TextEncoder();

/**
 * A header set given by its wire form. nats.js's publish reads nothing of a header set but
 * `encode()`, and building one (a Map, a canonical form of each key, then the encoding) costs
 * more than the write it goes with; the header sets of jetmq's own writes (a KV compare-and-set,
 * a store's message id) are only ever published, never read, so they are made as bytes. It
 * inherits the library's methods; anything that reads it that way finds it empty, and what is
 * set on it that way is lost.
 */
class EncodedHeaders {
  constructor(readonly bytes: Uint8Array) {}

  encode(): Uint8Array {
    return this.bytes;
  }

  /** The library's methods keep the set here. */
  get headers(): Map<string, string[]> {
    return new Map();
  }
}
Object.setPrototypeOf(EncodedHeaders.prototype, Object.getPrototypeOf(headers()));

/** Headers `pairs` (names and values as NATS carries them), encoded once. */
export function encodedHeaders(...pairs: ReadonlyArray<readonly [string, string]>): MsgHdrs {
  let text = "NATS/1.0\r\n";
  for (const [k, v] of pairs) text += `${k}: ${v}\r\n`;
  return new EncodedHeaders(encoder.encode(`${text}\r\n`)) as unknown as MsgHdrs;
}

/** `base` (a header set with its wire form) and one more header, encoded. */
export function withHeader(base: MsgHdrs, name: string, value: string): MsgHdrs {
  const wire = (base as MsgHdrs & { encode(): Uint8Array }).encode();
  // "NATS/1.0\r\nK: V\r\n\r\n": the new line goes before the final empty one.
  const line = encoder.encode(`${name}: ${value}\r\n\r\n`);
  const bytes = new Uint8Array(wire.length - 2 + line.length);
  bytes.set(wire.subarray(0, wire.length - 2));
  bytes.set(line, wire.length - 2);
  return new EncodedHeaders(bytes) as unknown as MsgHdrs;
}
