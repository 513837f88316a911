import type {
  IConnackPacket,
  IDisconnectPacket,
  IPingrespPacket,
  IPubackPacket,
  IPubcompPacket,
  IPubrecPacket,
  ISubackPacket,
  IUnsubackPacket,
  Packet,
} from "mqtt-packet";
import { v3ConnackCode } from "./reason_codes.ts";
import { varintLength, writeVarint } from "./varint.ts";
import type { Properties } from "./v5_properties.ts";

/** A packet jetmq sends, with the properties an MQTT 5 client gets (3.1.1 ignores them). */
export type Outgoing = Packet & { readonly props?: Properties };

/**
 * CONNACK with a reason code of MQTT 5 (Reason); a 3.1.1 client gets the equivalent return
 * code (3.2.2.3).
 */
export const connack = (
  reason: number,
  sessionPresent: boolean,
  props?: Properties,
): IConnackPacket & { props?: Properties } => ({
  cmd: "connack",
  reasonCode: reason,
  returnCode: v3ConnackCode(reason),
  sessionPresent,
  ...(props ? { props } : {}),
});

/** SUBACK: per filter the granted QoS or a reason code of 0x80 and above (3.1.1: 0x80). */
export const suback = (messageId: number, granted: number[]): ISubackPacket => ({
  cmd: "suback",
  messageId,
  granted,
});

/** UNSUBACK: per filter a reason code, for MQTT 5 clients (3.1.1's UNSUBACK has none). */
export const unsuback = (messageId: number, reasons: number[] = []): IUnsubackPacket => ({
  cmd: "unsuback",
  messageId,
  granted: reasons,
});

export const puback = (messageId: number, reasonCode = 0): IPubackPacket => ({
  cmd: "puback",
  messageId,
  reasonCode,
});

export const pubrec = (messageId: number, reasonCode = 0): IPubrecPacket => ({
  cmd: "pubrec",
  messageId,
  reasonCode,
});

export const pubcomp = (messageId: number, reasonCode = 0): IPubcompPacket => ({
  cmd: "pubcomp",
  messageId,
  reasonCode,
});

/** DISCONNECT from the server: MQTT 5 only (a 3.1.1 server just closes). */
export const disconnect = (
  reasonCode: number,
  props?: Properties,
): IDisconnectPacket & { props?: Properties } => ({
  cmd: "disconnect",
  reasonCode,
  ...(props ? { props } : {}),
});

/** PUBREL, encoded: delivery sends it without going through the handlers. */
export const encodePubrel = (id: number): Uint8Array =>
  Uint8Array.of(0x62, 0x02, id >> 8, id & 0xff);

export const pingresp: IPingrespPacket = Object.freeze({ cmd: "pingresp" });

/**
 * Encodes a PUBLISH without going through mqtt-packet: delivery encodes each message once and
 * writes the same bytes to every QoS 0 subscriber, so this sits on the hot path.
 */
export function encodePublish(
  topic: Uint8Array,
  payload: Uint8Array,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup = false,
  messageId = 0,
): Uint8Array {
  const idLength = qos > 0 ? 2 : 0;
  const remaining = 2 + topic.length + idLength + payload.length;
  const out = new Uint8Array(1 + varintLength(remaining) + remaining);
  out[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  let at = writeVarint(out, 1, remaining);
  out[at++] = topic.length >> 8;
  out[at++] = topic.length & 0xff;
  out.set(topic, at);
  at += topic.length;
  if (idLength) {
    out[at++] = messageId >> 8;
    out[at++] = messageId & 0xff;
  }
  out.set(payload, at);
  return out;
}
