import { addressBytes } from "../../src/net/cidr.ts";

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** A PROXY protocol v2 header built by hand: PROXY for `source`, or LOCAL. */
export function proxyV2(
  opts: { source?: string; port?: number; local?: boolean; tlv?: number; version?: number } = {},
): Uint8Array {
  const verCmd = ((opts.version ?? 2) << 4) | (opts.local ? 0x0 : 0x1);
  if (opts.local) return Uint8Array.from([...SIGNATURE, verCmd, 0x00, 0, 0]);
  const src = addressBytes(opts.source ?? "127.0.0.1") as Uint8Array;
  const v6 = src.length === 16;
  const dst = new Uint8Array(src.length);
  const port = opts.port ?? 12345;
  const tlv = new Array<number>(opts.tlv ?? 0).fill(0);
  const body = [...src, ...dst, port >> 8, port & 0xff, 0x07, 0x5b, ...tlv];
  return Uint8Array.from([
    ...SIGNATURE,
    verCmd,
    v6 ? 0x21 : 0x11,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}

/** A PROXY protocol v1 line. */
export const proxyV1 = (source: string, port: number): Uint8Array =>
  new TextEncoder().encode(
    `PROXY ${source.includes(":") ? "TCP6" : "TCP4"} ${source} ${
      source.includes(":") ? "::1" : "127.0.0.1"
    } ${port} 1883\r\n`,
  );
