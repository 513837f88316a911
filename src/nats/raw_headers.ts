// NATS header blocks ("NATS/1.0\r\nName: value\r\n…") read as text, where the library's header
// map would cost more than what is read.
import { headers as natsHeaders, type Msg, type MsgHdrs } from "@nats-io/transport-node";

/** How nats.js 3.x keeps a received message (`MsgImpl`): the parsed arguments and the bytes. */
interface RawMsg {
  readonly _msg?: { readonly hdr?: unknown };
  readonly _rdata?: unknown;
}

/**
 * The header block of a received message as text ("NATS/1.0\r\nName: value\r\n…"), null without
 * headers; undefined when this nats.js keeps messages otherwise (then use `msg.headers`).
 *
 * The library's `msg.headers` decodes the block into a header map on first use, about 2.6 µs a
 * message, where reading the block as text and finding a name in it takes 0.1: every message
 * jetmq gets from NATS carries its QoS as a header, and most deliveries need nothing else.
 */
export function headerText(msg: Msg): string | null | undefined {
  const raw = msg as unknown as RawMsg;
  const hdr = raw._msg?.hdr;
  const data = raw._rdata;
  if (typeof hdr !== "number" || !(data instanceof Uint8Array)) return undefined;
  if (hdr < 0) return null;
  // Latin-1: names are ASCII, and a UTF-8 value cannot make a "\r\n" or an ASCII name appear.
  return Buffer.from(data.buffer, data.byteOffset, Math.min(hdr, data.byteLength))
    .toString("latin1");
}

/**
 * The first value of header `name` in a header block, trimmed, as the library's header map gives
 * it (`get(name)`: exact name, first value); undefined when absent. For ASCII values (the block
 * is read as Latin-1).
 */
export function headerValue(text: string, name: string): string | undefined {
  const at = text.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const start = at + name.length + 3;
  const end = text.indexOf("\r\n", start);
  return text.slice(start, end < 0 ? text.length : end).trim();
}

/** A stored message's header block as the library's header set, read as it reads a received one. */
export function headersOfBlock(block: string): MsgHdrs | undefined {
  if (!block) return undefined;
  const h = natsHeaders();
  const lines = block.split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    if (colon > 0) h.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return h;
}
