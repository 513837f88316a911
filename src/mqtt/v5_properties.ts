// MQTT 5 properties (OASIS MQTT 5.0, 2.2.2): decoded with every rule of the specification
// checked, and kept as their raw bytes too, so that a PUBLISH's properties can be forwarded
// exactly as they came (user properties in order, repeated names and all) [MQTT-3.3.2-18].
// mqtt-packet 9 cannot be used for this: it keeps user properties in an object (order and
// repeats lost), accepts properties a packet may not carry, and turns bytes into booleans.

import { encodeVarint, readVarint } from "./varint.ts";
import {
  BY_ID,
  type Kind,
  type Properties,
  type PropertyContext,
  type Spec,
  SPECS,
} from "./v5_property_specs.ts";

export type { Properties, PropertyContext } from "./v5_property_specs.ts";

/** Why a property block was refused: the reason code to close with, and what was wrong. */
export interface PropertyError {
  /** 0x81 Malformed Packet or 0x82 Protocol Error. */
  readonly reason: 0x81 | 0x82;
  readonly message: string;
}

export interface DecodedProperties {
  readonly properties: Properties;
  /** The property bytes after the length, as they came. */
  readonly raw: Uint8Array;
  /** Where the packet goes on after the block. */
  readonly next: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes the property block at `at` (its length first) of a packet of `context`. Everything
 * 2.2.2 calls malformed (a property the packet may not carry, a value that runs past the block,
 * ill-formed UTF-8 [MQTT-1.5.4-1], U+0000 [MQTT-1.5.4-2]) is 0x81; a property given twice where
 * once is allowed, or a value out of its range, is 0x82.
 */
export function decodeProperties(
  buf: Uint8Array,
  at: number,
  context: PropertyContext,
): DecodedProperties | PropertyError {
  const length = readVarint(buf, at);
  if (!length) return malformed("property length is not a valid variable byte integer");
  const start = at + length.size;
  const end = start + length.value;
  if (end > buf.length) return malformed("properties run past the end of the packet");
  const props: Properties = {};
  const seen = new Set<number>();
  let i = start;
  while (i < end) {
    const idVar = readVarint(buf, i);
    if (!idVar) return malformed("property identifier is not a valid variable byte integer");
    i += idVar.size;
    const spec = BY_ID.get(idVar.value);
    if (!spec) return malformed(`unknown property 0x${idVar.value.toString(16)}`);
    if (!spec.in.includes(context)) return malformed(`${spec.name} is not allowed in ${context}`);
    const repeatable = spec.kind === "pair" ||
      (spec.name === "subscriptionIdentifiers" && context === "publish");
    if (seen.has(spec.id) && !repeatable) {
      return { reason: 0x82, message: `${spec.name} given more than once` };
    }
    seen.add(spec.id);
    const read = readValue(buf, i, end, spec.kind);
    if (typeof read === "string") return malformed(`${spec.name}: ${read}`);
    i = read.next;
    const value = read.value;
    if (spec.range && typeof value === "number") {
      const [lo, hi] = spec.range;
      if (value < lo || value > hi) {
        return { reason: 0x82, message: `${spec.name} ${value} is outside ${lo}..${hi}` };
      }
    }
    assign(props, spec, value);
  }
  return { properties: props, raw: buf.subarray(start, end), next: end };
}

function assign(props: Properties, spec: Spec, value: Value): void {
  const p = props as Record<string, unknown>;
  if (spec.kind === "pair") {
    ((p[spec.name] ??= []) as Array<[string, string]>).push(value as [string, string]);
  } else if (spec.name === "subscriptionIdentifiers") {
    ((p[spec.name] ??= []) as number[]).push(value as number);
  } else {
    p[spec.name] = value;
  }
}

type Value = number | string | Uint8Array | [string, string];

function readValue(
  buf: Uint8Array,
  at: number,
  end: number,
  kind: Kind,
): { value: Value; next: number } | string {
  const need = (n: number) => at + n <= end;
  switch (kind) {
    case "byte":
      return need(1) ? { value: buf[at] ?? 0, next: at + 1 } : "cut short";
    case "u16":
      return need(2) ? { value: u16(buf, at), next: at + 2 } : "cut short";
    case "u32":
      return need(4)
        ? { value: u16(buf, at) * 65536 + u16(buf, at + 2), next: at + 4 }
        : "cut short";
    case "varint": {
      const v = readVarint(buf, at);
      return v && at + v.size <= end ? { value: v.value, next: at + v.size } : "invalid varint";
    }
    case "binary": {
      if (!need(2)) return "cut short";
      const n = u16(buf, at);
      if (at + 2 + n > end) return "cut short";
      return { value: buf.slice(at + 2, at + 2 + n), next: at + 2 + n };
    }
    case "utf8":
      return readString(buf, at, end);
    case "pair": {
      const k = readString(buf, at, end);
      if (typeof k === "string") return k;
      const v = readString(buf, k.next, end);
      if (typeof v === "string") return v;
      return { value: [k.value, v.value], next: v.next };
    }
  }
}

function readString(
  buf: Uint8Array,
  at: number,
  end: number,
): { value: string; next: number } | string {
  if (at + 2 > end) return "cut short";
  const n = u16(buf, at);
  if (at + 2 + n > end) return "cut short";
  let value: string;
  try {
    value = utf8.decode(buf.subarray(at + 2, at + 2 + n));
  } catch {
    return "ill-formed UTF-8";
  }
  if (value.includes("\u0000")) return "U+0000 in a string";
  return { value, next: at + 2 + n };
}

const u16 = (buf: Uint8Array, at: number) => ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);

const malformed = (message: string): PropertyError => ({ reason: 0x81, message });

/**
 * Encodes `props` as a property block (its length first), for a packet jetmq sends. Properties
 * are written in the order of 2.2.2.2, user properties in their own order.
 */
export function encodeProperties(props: Properties): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const spec of SPECS) {
    const value = props[spec.name];
    if (value === undefined) continue;
    if (spec.kind === "pair") {
      for (const pair of value as Array<[string, string]>) parts.push(encodeOne(spec, pair));
    } else if (spec.name === "subscriptionIdentifiers") {
      for (const id of value as number[]) parts.push(encodeOne(spec, id));
    } else {
      parts.push(encodeOne(spec, value as Value));
    }
  }
  const body = concat(parts);
  return concat([encodeVarint(body.length), body]);
}

function encodeOne(spec: Spec, value: Value): Uint8Array {
  const id = encodeVarint(spec.id);
  switch (spec.kind) {
    case "byte":
      return concat([id, Uint8Array.of(value as number)]);
    case "u16":
      return concat([id, Uint8Array.of(((value as number) >> 8) & 0xff, (value as number) & 0xff)]);
    case "u32": {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, value as number);
      return concat([id, out]);
    }
    case "varint":
      return concat([id, encodeVarint(value as number)]);
    case "binary":
      return concat([id, withLength(value as Uint8Array)]);
    case "utf8":
      return concat([id, withLength(utf8Encoder.encode(value as string))]);
    case "pair": {
      const [k, v] = value as [string, string];
      return concat([id, withLength(utf8Encoder.encode(k)), withLength(utf8Encoder.encode(v))]);
    }
  }
}

function withLength(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + bytes.length);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
