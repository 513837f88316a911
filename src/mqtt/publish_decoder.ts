import type { IPublishPacket } from "mqtt-packet";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes an MQTT 3.1.1 PUBLISH frame (fixed header included) without mqtt-packet: it is the
 * hottest packet by far. Returns the packet, or why the frame is malformed. The payload is a
 * view of the frame.
 */
export function decodePublish(frame: Uint8Array, headerLength: number): IPublishPacket | string {
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
  return {
    cmd: "publish",
    topic,
    payload: Buffer.from(frame.buffer, frame.byteOffset + at, frame.length - at),
    qos,
    dup: (flags & 0x08) !== 0,
    retain: (flags & 0x01) !== 0,
    messageId,
  };
}
