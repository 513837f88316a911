import { isIPv4, isIPv6 } from "node:net";

// Address lists such as "10.0.0.0/8, 127.0.0.1, fdaa::/16": who may speak for clients (PROXY
// protocol headers, X-Forwarded-For). IPv4-mapped IPv6 addresses match their IPv4 form.

interface Network {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** An address list; `contains` answers for single addresses (no port). */
export class AddressList {
  readonly #networks: readonly Network[];

  private constructor(networks: readonly Network[]) {
    this.#networks = networks;
  }

  /** Parses "a.b.c.d/n, x::/n, a.b.c.d"; returns the entry it cannot read instead of a list. */
  static parse(text: string): AddressList | string {
    const networks: Network[] = [];
    for (const entry of text.split(",").map((e) => e.trim()).filter(Boolean)) {
      const [address = "", bits] = entry.split("/");
      const bytes = addressBytes(address);
      const max = bytes?.length === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > max) return entry;
      networks.push({ bytes, prefix });
    }
    return new AddressList(networks);
  }

  get size(): number {
    return this.#networks.length;
  }

  contains(address: string): boolean {
    const bytes = addressBytes(address);
    if (!bytes) return false;
    return this.#networks.some((n) => n.bytes.length === bytes.length && inPrefix(bytes, n));
  }
}

function inPrefix(bytes: Uint8Array, net: Network): boolean {
  const full = Math.floor(net.prefix / 8);
  for (let i = 0; i < full; i++) if (bytes[i] !== net.bytes[i]) return false;
  const rest = net.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full] ?? 0) & mask) === ((net.bytes[full] ?? 0) & mask);
}

/** 4 bytes for IPv4 (also when written as ::ffff:a.b.c.d), 16 for IPv6, null otherwise. */
export function addressBytes(address: string): Uint8Array | null {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return Uint8Array.from(bare.split(".").map(Number));
  if (!isIPv6(bare)) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return addressBytes(mapped[1]);
  return ipv6Bytes(bare);
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split(".").map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, -v4[1].length) + "0:0";
  }
  const [head = "", rest] = text.split("::");
  const groups = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  if (tail.length) words.splice(6, 2, ...tail);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = (w >> 8) & 0xff;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** "1.2.3.4:5678" or "[::1]:5678" (as `withPort` writes them) → the address alone. */
export function hostOf(addressWithPort: string): string {
  if (addressWithPort.startsWith("[")) {
    return addressWithPort.slice(1, addressWithPort.indexOf("]"));
  }
  const colon = addressWithPort.lastIndexOf(":");
  return colon < 0 ? addressWithPort : addressWithPort.slice(0, colon);
}

/** Address and port as jetmq writes them everywhere: IPv6 in brackets. */
export function withPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
