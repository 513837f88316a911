import type { Packet } from "mqtt-packet";

const ACKS = [null, null, null, null, "puback", "pubrec", "pubrel", "pubcomp"] as const;

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP that carries only its packet identifier (every one from an
 * MQTT 3.1.1 client, most from MQTT 5 ones: reason 0 and no properties may be left out), decoded
 * without the general parser: a QoS 1/2 stream has one of these per message. Null for any other
 * frame (the general parser takes it). The fixed header's flags were checked already.
 */
export function decodeShortAck(frame: Uint8Array, mqtt5: boolean): Packet | null {
  if (frame.length !== 4) return null;
  const cmd = ACKS[(frame[0] ?? 0) >> 4];
  if (!cmd) return null;
  const messageId = ((frame[2] ?? 0) << 8) | (frame[3] ?? 0);
  // As mqtt-packet gives them: MQTT 5's left-out reason is success.
  return (mqtt5 ? { cmd, messageId, reasonCode: 0 } : { cmd, messageId }) as Packet;
}

/**
 * DISCONNECT and PINGREQ without a body (every one from an MQTT 3.1.1 client, a normal
 * DISCONNECT from an MQTT 5 one), as mqtt-packet gives them; null for any other frame. Every
 * connection ends with one and an idle one sends the other: the general parser costs more
 * than the rest of their handling.
 */
export function decodeEmptyPacket(frame: Uint8Array, mqtt5: boolean): Packet | null {
  if (frame.length !== 2 || frame[1] !== 0) return null;
  if (frame[0] === 0xc0) return { cmd: "pingreq" };
  if (frame[0] !== 0xe0) return null;
  return mqtt5 ? { cmd: "disconnect", reasonCode: 0 } : { cmd: "disconnect" };
}
