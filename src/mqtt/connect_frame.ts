// The CONNECT rules that a decoded packet can no longer show: mqtt-packet turns ill-formed UTF-8
// into U+FFFD and drops the will bits when the Will Flag is 0. They are checked here, on the
// frame's bytes, before it is decoded; what the decoded packet does show is checked by the
// CONNECT handler (handlers/connect_rules.ts).

const utf8 = new TextDecoder("utf-8", { fatal: true });

const WILL_FLAG = 0x04;
const WILL_QOS = 0x18;
const WILL_RETAIN = 0x20;
const PASSWORD_FLAG = 0x40;
const USERNAME_FLAG = 0x80;

/** Reads a CONNECT frame field by field; every read returns null when the frame ends first. */
class Reader {
  at: number;

  constructor(readonly frame: Uint8Array, at: number) {
    this.at = at;
  }

  byte(): number | null {
    return this.at < this.frame.length ? (this.frame[this.at++] as number) : null;
  }

  /** A two-byte length and that many bytes. */
  field(): Uint8Array | null {
    if (this.at + 2 > this.frame.length) return null;
    const length = ((this.frame[this.at] as number) << 8) | (this.frame[this.at + 1] as number);
    const start = this.at + 2;
    if (start + length > this.frame.length) return null;
    this.at = start + length;
    return this.frame.subarray(start, this.at);
  }

  /** Skips MQTT 5 properties: a variable byte integer length and that many bytes. */
  skipProperties(): boolean {
    let length = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      if (b === null) return false;
      length += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        this.at += length;
        return this.at <= this.frame.length;
      }
    }
    return false;
  }
}

/**
 * Why a CONNECT frame (fixed header included) breaks a rule of MQTT-3.1.2 or MQTT-1.5.3, or null.
 * A frame too short to tell is left to the decoder, which reports it as malformed.
 */
export function connectFrameViolation(frame: Uint8Array): string | null {
  const r = new Reader(frame, 1);
  while (((r.byte() ?? 0) & 0x80) !== 0);
  if (r.field() === null) return null; // protocol name
  const level = r.byte();
  const flags = r.byte();
  if (level === null || flags === null) return null;
  if ((flags & 0x01) !== 0) return "CONNECT reserved flag is not 0 [MQTT-3.1.2-3]";
  const will = (flags & WILL_FLAG) !== 0;
  if (!will && (flags & WILL_QOS) !== 0) {
    return "CONNECT Will QoS is not 0 while the Will Flag is 0 [MQTT-3.1.2-11]";
  }
  if (!will && (flags & WILL_RETAIN) !== 0) {
    return "CONNECT Will Retain is set while the Will Flag is 0 [MQTT-3.1.2-13]";
  }
  r.at += 2; // keepalive
  if (level === 5 && !r.skipProperties()) return null;
  const strings: Array<[string, Uint8Array | null]> = [["client id", r.field()]];
  if (will) {
    if (level === 5 && !r.skipProperties()) return null;
    strings.push(["will topic", r.field()]);
    r.field(); // will payload: binary
  }
  if ((flags & USERNAME_FLAG) !== 0) strings.push(["user name", r.field()]);
  if ((flags & PASSWORD_FLAG) !== 0) r.field(); // binary
  for (const [name, bytes] of strings) {
    if (bytes === null) return null;
    try {
      utf8.decode(bytes);
    } catch {
      return `CONNECT ${name} is not well-formed UTF-8 [MQTT-1.5.3-1]`;
    }
  }
  return null;
}
