import type { IPublishPacket } from "mqtt-packet";
import { encodePublish } from "../../src/mqtt/packets.ts";
import { RawClient } from "./raw_client.ts";

/**
 * Publishes `count` QoS 1 messages on `topic` (payloads "0", "1", …) from a raw connection,
 * pipelined in batches, and waits until every one is acknowledged: each is then stored.
 */
export async function publishQos1(port: number, topic: string, count: number): Promise<void> {
  await using pub = await RawClient.open(port);
  await pub.connect();
  const t = new TextEncoder().encode(topic);
  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    const parts: Uint8Array[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      parts.push(
        encodePublish(t, new TextEncoder().encode(String(i)), 1, false, false, (i % 65535) + 1),
      );
    }
    pub.send(Buffer.concat(parts));
    await pub.waitCount("puback", Math.min(count, start + BATCH), 30_000);
  }
}

/** A QoS 2 PUBLISH packet, as handlers and raw clients take it. */
export const qos2Publish = (
  topic: string,
  payload: string,
  messageId: number,
  dup = false,
): IPublishPacket => ({
  cmd: "publish",
  topic,
  payload: Buffer.from(payload),
  qos: 2,
  dup,
  retain: false,
  messageId,
});
