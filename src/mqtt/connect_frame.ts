// The CONNECT rules that a decoded packet can no longer show: mqtt-packet turns ill-formed UTF-8
// into U+FFFD and drops the will bits when the Will Flag is 0. They are checked here, on the
// frame's bytes, before it is decoded; what the decoded packet does show is checked by the
// CONNECT handler (handlers/connect_rules.ts).

import { decodeProperties, type Properties } from "./v5_properties.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

const WILL_FLAG = 0x04;
const WILL_QOS = 0x18;
const WILL_RETAIN = 0x20;
const PASSWORD_FLAG = 0x40;
const USERNAME_FLAG = 0x80;

/** Where the field (two-byte length, then bytes) at `at` ends; -1 when the frame ends first. */
function fieldEnd(frame: Uint8Array, at: number): number {
  if (at + 2 > frame.length) return -1;
  const end = at + 2 + (((frame[at] as number) << 8) | (frame[at + 1] as number));
  return end > frame.length ? -1 : end;
}

/** An MQTT 5 CONNECT's properties and its will's, as decoded and checked here. */
export interface ConnectProperties {
  readonly props: Properties;
  readonly willProps: Properties | null;
}

/** Not well-formed UTF-8 (surrogates and overlongs included) [MQTT-1.5.3-1]. */
function illFormed(frame: Uint8Array, at: number, end: number): boolean {
  // ASCII, the usual case, needs no decoder.
  for (let i = at + 2; i < end; i++) {
    if ((frame[i] as number) >= 0x80) {
      try {
        utf8.decode(frame.subarray(at + 2, end));
        return false;
      } catch {
        return true;
      }
    }
  }
  return false;
}

/**
 * Why a CONNECT frame (fixed header included) breaks a rule of MQTT-3.1.2 or MQTT-1.5.3, or, for
 * MQTT 5, its properties (2.2.2) — or, when it breaks none, the MQTT 5 properties (null for 3.1.1).
 * A frame too short to tell is left to the decoder, which reports it as malformed.
 */
export function readConnectFrame(
  frame: Uint8Array,
): { violation: string } | ConnectProperties | null {
  const bad = (violation: string) => ({ violation });
  let at = 1;
  while (at < frame.length && ((frame[at] as number) & 0x80) !== 0) at++;
  at = fieldEnd(frame, at + 1); // protocol name
  if (at < 0 || at + 4 > frame.length) return null;
  const level = frame[at] as number;
  const flags = frame[at + 1] as number;
  if ((flags & 0x01) !== 0) return bad("CONNECT reserved flag is not 0 [MQTT-3.1.2-3]");
  const will = (flags & WILL_FLAG) !== 0;
  if (!will && (flags & WILL_QOS) !== 0) {
    return bad("CONNECT Will QoS is not 0 while the Will Flag is 0 [MQTT-3.1.2-13]");
  }
  if (!will && (flags & WILL_RETAIN) !== 0) {
    return bad("CONNECT Will Retain is set while the Will Flag is 0 [MQTT-3.1.2-15]");
  }
  at += 4; // level, flags, keepalive
  let props: Properties = {};
  let willProps: Properties | null = null;
  if (level === 5) {
    const read = decodeProperties(frame, at, "connect");
    if ("reason" in read) return bad(`CONNECT properties: ${read.message}`);
    props = read.properties;
    at = read.next;
  }
  const strings: Array<[string, number]> = [["client id", at]];
  if ((at = fieldEnd(frame, at)) < 0) return null;
  if (will) {
    if (level === 5) {
      const read = decodeProperties(frame, at, "will");
      if ("reason" in read) return bad(`CONNECT will properties: ${read.message}`);
      willProps = read.properties;
      at = read.next;
    }
    strings.push(["will topic", at]);
    if ((at = fieldEnd(frame, at)) < 0) return null;
    if ((at = fieldEnd(frame, at)) < 0) return null; // will payload: binary
  }
  if ((flags & USERNAME_FLAG) !== 0) {
    strings.push(["user name", at]);
    if ((at = fieldEnd(frame, at)) < 0) return null;
  }
  if ((flags & PASSWORD_FLAG) !== 0 && fieldEnd(frame, at) < 0) return null; // binary
  for (const [name, start] of strings) {
    if (illFormed(frame, start, fieldEnd(frame, start))) {
      return bad(`CONNECT ${name} is not well-formed UTF-8 [MQTT-1.5.3-1]`);
    }
  }
  return level === 5 ? { props, willProps } : null;
}
