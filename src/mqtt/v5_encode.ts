import type { Outgoing } from "./packets.ts";
import { encodeProperties, type Properties } from "./v5_properties.ts";
import { encodeVarint } from "./varint.ts";

// The packets jetmq sends to MQTT 5 clients, encoded here rather than by mqtt-packet, whose
// version 9 writes user properties from an object (order and repeats lost) and booleans for
// byte properties. PUBLISH has its own encoder on the delivery path (encodePublishV5).

const NO_PROPERTIES = Uint8Array.of(0);

/** The server's packets for a connection of MQTT 5 (everything but PUBLISH). */
export function encodeV5(packet: Outgoing): Uint8Array {
  const props = packet.props;
  switch (packet.cmd) {
    case "connack":
      return frame(
        0x20,
        [Uint8Array.of(packet.sessionPresent ? 1 : 0, packet.reasonCode ?? 0), block(props)],
      );
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return ack(FIRST_BYTE[packet.cmd], packet.messageId ?? 0, packet.reasonCode ?? 0, props);
    case "suback":
      return frame(0x90, [
        id(packet.messageId),
        block(props),
        Uint8Array.from(packet.granted as number[]),
      ]);
    case "unsuback":
      return frame(0xb0, [
        id(packet.messageId),
        block(props),
        Uint8Array.from(packet.granted ?? []),
      ]);
    case "disconnect": {
      const reason = packet.reasonCode ?? 0;
      // Reason 0x00 without properties may be left out altogether (3.14.2.1).
      if (reason === 0 && !props) return Uint8Array.of(0xe0, 0);
      return frame(0xe0, [Uint8Array.of(reason), block(props)]);
    }
    case "pingresp":
      return Uint8Array.of(0xd0, 0);
    default:
      throw new Error(`jetmq does not send ${packet.cmd} to MQTT 5 clients`);
  }
}

const FIRST_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/** An acknowledgement: success without properties is the packet id alone (3.4.2.1). */
function ack(first: number, messageId: number, reason: number, props?: Properties): Uint8Array {
  if (reason === 0 && !props) return Uint8Array.of(first, 2, messageId >> 8, messageId & 0xff);
  return frame(first, [id(messageId), Uint8Array.of(reason), block(props)]);
}

const id = (messageId = 0) => Uint8Array.of(messageId >> 8, messageId & 0xff);

const block = (props?: Properties) => (props ? encodeProperties(props) : NO_PROPERTIES);

/** Fixed header (first byte, remaining length) and the parts after it. */
export function frame(first: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const remaining = encodeVarint(length);
  const out = new Uint8Array(1 + remaining.length + length);
  out[0] = first;
  out.set(remaining, 1);
  let at = 1 + remaining.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An MQTT 5 PUBLISH: as 3.1.1's, with its property block (length first) after the packet
 * identifier. Delivery encodes each message once per kind of subscriber.
 */
export function encodePublishV5(
  topic: Uint8Array,
  payload: Uint8Array,
  qos: 0 | 1 | 2,
  retain: boolean,
  props: Uint8Array,
  dup = false,
  messageId = 0,
): Uint8Array {
  const first = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  const topicLength = Uint8Array.of(topic.length >> 8, topic.length & 0xff);
  const parts = qos > 0
    ? [topicLength, topic, id(messageId), props, payload]
    : [topicLength, topic, props, payload];
  return frame(first, parts);
}
