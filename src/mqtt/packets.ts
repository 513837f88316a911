import type {
  IConnackPacket,
  IPingrespPacket,
  IPubackPacket,
  IPubcompPacket,
  IPubrecPacket,
  ISubackPacket,
  IUnsubackPacket,
} from "mqtt-packet";

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
export const ConnackCode = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** SUBACK return code for a refused filter. */
export const SUBACK_FAILURE = 0x80;

export const connack = (returnCode: number, sessionPresent: boolean): IConnackPacket => ({
  cmd: "connack",
  returnCode,
  sessionPresent,
});

export const suback = (messageId: number, granted: number[]): ISubackPacket => ({
  cmd: "suback",
  messageId,
  granted,
});

export const unsuback = (messageId: number): IUnsubackPacket => ({
  cmd: "unsuback",
  messageId,
  granted: [],
});

export const puback = (messageId: number): IPubackPacket => ({ cmd: "puback", messageId });

export const pubrec = (messageId: number): IPubrecPacket => ({ cmd: "pubrec", messageId });

export const pubcomp = (messageId: number): IPubcompPacket => ({ cmd: "pubcomp", messageId });

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
  const lengthBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
  const out = new Uint8Array(1 + lengthBytes + remaining);
  out[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  let at = 1;
  let n = remaining;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[at++] = byte;
  } while (n > 0);
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
