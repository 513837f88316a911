import type { IPublishPacket } from "mqtt-packet";
import { type DecodedProperties, decodeProperties } from "./v5_properties.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A PUBLISH as decoded here; an MQTT 5 one carries its properties, raw bytes included. */
export interface DecodedPublish extends IPublishPacket {
  readonly v5?: DecodedProperties;
}

/**
 * Decodes the PUBLISH frame at `start` to `end` of `buf` (fixed header included) without
 * mqtt-packet: it is the hottest packet by far, and nothing is made for it but the packet, its
 * topic and a view of its payload. Returns the packet, or why the frame is malformed. With
 * `mqtt5`, the property block after the packet identifier is decoded and checked too.
 */
export function decodePublish(
  buf: Buffer,
  start: number,
  end: number,
  mqtt5 = false,
): DecodedPublish | string {
  const flags = (buf[start] as number) & 0x0f;
  const qos = ((flags >> 1) & 3) as 0 | 1 | 2;
  let at = start + 1;
  while (((buf[at] ?? 0) & 0x80) !== 0) at++;
  at++;
  if (at + 2 > end) return "PUBLISH too short for its topic length";
  const topicLength = ((buf[at] as number) << 8) | (buf[at + 1] as number);
  at += 2;
  if (at + topicLength > end) return "PUBLISH topic runs past the packet";
  const topic = decodeTopic(buf, at, at + topicLength);
  if (topic === null) return "PUBLISH topic is not valid UTF-8 [MQTT-1.5.3-1]";
  at += topicLength;
  let messageId: number | undefined;
  if (qos > 0) {
    if (at + 2 > end) return "PUBLISH too short for its packet identifier";
    messageId = ((buf[at] as number) << 8) | (buf[at + 1] as number);
    if (messageId === 0) return "PUBLISH with packet identifier 0 [MQTT-2.3.1-1]";
    at += 2;
  }
  let v5: DecodedProperties | undefined;
  if (mqtt5) {
    const props = decodeProperties(buf.subarray(start, end), at - start, "publish");
    if ("reason" in props) return `PUBLISH properties: ${props.message}`;
    v5 = props;
    at = start + props.next;
  }
  const packet: DecodedPublish = {
    cmd: "publish",
    topic,
    payload: buf.subarray(at, end),
    qos,
    dup: (flags & 0x08) !== 0,
    retain: (flags & 0x01) !== 0,
    messageId,
  };
  return v5 ? { ...packet, v5 } : packet;
}

/** The topic at `start` to `end`: ASCII (most topics) read directly, the rest checked as UTF-8. */
function decodeTopic(buf: Buffer, start: number, end: number): string | null {
  for (let i = start; i < end; i++) {
    if ((buf[i] as number) >= 0x80) {
      try {
        return utf8.decode(buf.subarray(start, end));
      } catch {
        return null;
      }
    }
  }
  return buf.toString("latin1", start, end);
}
