import type { IPublishPacket } from "mqtt-packet";
import { type DecodedProperties, decodeProperties } from "./v5_properties.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A PUBLISH as decoded here; an MQTT 5 one carries its properties, raw bytes included. */
export interface DecodedPublish extends IPublishPacket {
  readonly v5?: DecodedProperties;
}

/**
 * Decodes a PUBLISH frame (fixed header included) without mqtt-packet: it is the hottest packet
 * by far. Returns the packet, or why the frame is malformed. The payload is a view of the frame.
 * With `mqtt5`, the property block after the packet identifier is decoded and checked too.
 */
export function decodePublish(
  frame: Uint8Array,
  headerLength: number,
  mqtt5 = false,
): DecodedPublish | string {
  const flags = (frame[0] as number) & 0x0f;
  const qos = ((flags >> 1) & 3) as 0 | 1 | 2;
  let at = headerLength;
  if (at + 2 > frame.length) return "PUBLISH too short for its topic length";
  const topicLength = ((frame[at] as number) << 8) | (frame[at + 1] as number);
  at += 2;
  if (at + topicLength > frame.length) return "PUBLISH topic runs past the packet";
  let topic: string;
  try {
    topic = utf8.decode(frame.subarray(at, at + topicLength));
  } catch {
    return "PUBLISH topic is not valid UTF-8 [MQTT-1.5.3-1]";
  }
  at += topicLength;
  let messageId: number | undefined;
  if (qos > 0) {
    if (at + 2 > frame.length) return "PUBLISH too short for its packet identifier";
    messageId = ((frame[at] as number) << 8) | (frame[at + 1] as number);
    if (messageId === 0) return "PUBLISH with packet identifier 0 [MQTT-2.3.1-1]";
    at += 2;
  }
  let v5: DecodedProperties | undefined;
  if (mqtt5) {
    const props = decodeProperties(frame, at, "publish");
    if ("reason" in props) return `PUBLISH properties: ${props.message}`;
    v5 = props;
    at = props.next;
  }
  return {
    ...(v5 ? { v5 } : {}),
    cmd: "publish",
    topic,
    payload: Buffer.from(frame.buffer, frame.byteOffset + at, frame.length - at),
    qos,
    dup: (flags & 0x08) !== 0,
    retain: (flags & 0x01) !== 0,
    messageId,
  };
}
