/** The parts of a CONNECT, as raw bytes where a test wants to break them. */
export interface ConnectParts {
  protocol?: string;
  level?: number;
  /** The connect flags byte exactly as sent; derived from the fields when omitted. */
  flags?: number;
  keepalive?: number;
  clientId?: string | Uint8Array;
  will?: { topic: string | Uint8Array; payload?: Uint8Array; qos?: number; retain?: boolean };
  username?: string | Uint8Array;
  password?: Uint8Array;
}

const text = (v: string | Uint8Array): Uint8Array =>
  typeof v === "string" ? new TextEncoder().encode(v) : v;
const field = (v: string | Uint8Array): number[] => {
  const b = text(v);
  return [b.length >> 8, b.length & 0xff, ...b];
};

/**
 * A CONNECT built by hand, for the invalid ones no client library will send: any flags byte,
 * any bytes in the strings.
 */
export function connectBytes(parts: ConnectParts = {}): Uint8Array {
  const { will, username, password } = parts;
  const derived = 0x02 | (will ? 0x04 | ((will.qos ?? 0) << 3) | (will.retain ? 0x20 : 0) : 0) |
    (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const keepalive = parts.keepalive ?? 0;
  const body = [
    ...field(parts.protocol ?? "MQTT"),
    parts.level ?? 4,
    parts.flags ?? derived,
    keepalive >> 8,
    keepalive & 0xff,
    ...field(parts.clientId ?? `raw-${crypto.randomUUID().slice(0, 8)}`),
    ...(will ? [...field(will.topic), ...field(will.payload ?? new Uint8Array(0))] : []),
    ...(username !== undefined ? field(username) : []),
    ...(password !== undefined ? field(password) : []),
  ];
  const length: number[] = [];
  let n = body.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n > 0);
  return Uint8Array.from([0x10, ...length, ...body]);
}
