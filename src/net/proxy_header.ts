import { withPort } from "./cidr.ts";

// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a load balancer tells the
// server who the client is, in a header before the client's first byte. Parsing only; no I/O.

const V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
const V1_PREFIX = "PROXY ";
/** Longest version 1 header, CRLF included. */
const V1_MAX = 107;
const V2_FIXED = 16;

export type ProxyHeader =
  /** The balancer speaks for a client at `source` ("address:port"). */
  | {
    readonly kind: "proxy";
    readonly version: 1 | 2;
    readonly source: string;
    readonly length: number;
  }
  /** The balancer speaks for itself (health checks) or does not know: the socket's own address. */
  | { readonly kind: "local"; readonly version: 1 | 2; readonly length: number };

/**
 * The header at the start of `bytes`: what it says and how many bytes it takes, `null` when more
 * bytes are needed, or why the bytes are no PROXY header.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeader | string | null {
  if (bytes.length === 0) return null;
  if (bytes[0] === 0x0d) return parseV2(bytes);
  if (bytes[0] === 0x50) return parseV1(bytes);
  return "Expected a PROXY protocol header first";
}

function parseV1(bytes: Uint8Array): ProxyHeader | string | null {
  const upTo = Math.min(bytes.length, V1_MAX);
  let end = -1;
  for (let i = 1; i < upTo; i++) {
    if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) {
      end = i + 1;
      break;
    }
  }
  const prefix = new TextDecoder().decode(bytes.subarray(0, Math.min(upTo, V1_PREFIX.length)));
  if (!V1_PREFIX.startsWith(prefix)) return "Expected a PROXY protocol header first";
  if (end < 0) return bytes.length >= V1_MAX ? "PROXY v1 header longer than 107 bytes" : null;
  const line = new TextDecoder().decode(bytes.subarray(0, end - 2));
  const [, family, src, , sport] = line.split(" ");
  if (family === "UNKNOWN") return { kind: "local", version: 1, length: end };
  const port = Number(sport);
  const fourOrSix = family === "TCP4" || family === "TCP6";
  if (!fourOrSix || !src || !Number.isInteger(port) || port < 0 || port > 65535) {
    return `Malformed PROXY v1 header "${line.slice(0, 60)}"`;
  }
  return { kind: "proxy", version: 1, source: withPort(src, port), length: end };
}

function parseV2(bytes: Uint8Array): ProxyHeader | string | null {
  const have = Math.min(bytes.length, V2_SIGNATURE.length);
  for (let i = 0; i < have; i++) {
    if (bytes[i] !== V2_SIGNATURE[i]) return "Expected a PROXY protocol header first";
  }
  if (bytes.length < V2_FIXED) return null;
  const verCmd = bytes[12] as number;
  const family = bytes[13] as number;
  const length = V2_FIXED + (((bytes[14] as number) << 8) | (bytes[15] as number));
  if (verCmd >> 4 !== 2) return `PROXY v2 header with version ${verCmd >> 4}`;
  if (bytes.length < length) return null;
  const command = verCmd & 0x0f;
  if (command === 0x0) return { kind: "local", version: 2, length };
  if (command !== 0x1) return `PROXY v2 header with command ${command}`;
  const body = bytes.subarray(V2_FIXED, length);
  const port = (at: number) => ((body[at] as number) << 8) | (body[at + 1] as number);
  switch (family >> 4) {
    case 0x1: // IPv4: source, destination, source port, destination port
      if (body.length < 12) return "PROXY v2 header too short for IPv4 addresses";
      return {
        kind: "proxy",
        version: 2,
        source: withPort(body.subarray(0, 4).join("."), port(8)),
        length,
      };
    case 0x2: {
      if (body.length < 36) return "PROXY v2 header too short for IPv6 addresses";
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(port(i).toString(16));
      return { kind: "proxy", version: 2, source: withPort(compress(groups), port(32)), length };
    }
    default: // unspecified or UNIX sockets: nothing to say about a client address
      return { kind: "local", version: 2, length };
  }
}

/** IPv6 groups in the usual short form (the longest run of zero groups as "::"). */
function compress(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}
