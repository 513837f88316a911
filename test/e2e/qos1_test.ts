import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IPublishPacket } from "mqtt-packet";
import { headers } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { MESSAGES_STREAM } from "../../src/nats/names.ts";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { publishQos1 } from "../helpers/publishers.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

const ACK_WAIT_MS = 1000;

let nats: TestNats;
let broker: TestBroker;
// Another instance on the same NATS, whose consumers redeliver after a short ack_wait.
let impatient: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url);
  impatient = await startTestBroker(nats.url, { ack_wait: `${ACK_WAIT_MS}ms` });
});
afterAll(async () => {
  await broker.stop();
  await impatient.stop();
  await nats.stop();
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** A raw persistent-session client subscribed to `filter` at QoS 1. */
async function rawSubscriber(clientId: string, filter: string, on = broker): Promise<RawClient> {
  const raw = await RawClient.open(on.port);
  await raw.connect({ clientId, clean: false });
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] });
  expect(await raw.next("suback")).toMatchObject({ granted: [1] });
  return raw;
}

describe("QoS 1", () => {
  test("a clean session receives QoS 1 at QoS 1 and QoS 0 at QoS 0 [MQTT-3.8.4-6]", async () => {
    await using sub = await mqttjs(broker.url);
    await using pub = await mqttjs(broker.url);
    expect(await sub.client.subscribeAsync("q1c/#", { qos: 1 })).toMatchObject([{ qos: 1 }]);
    await pub.client.publishAsync("q1c/a", "one", { qos: 1 });
    await pub.client.publishAsync("q1c/b", "zero", { qos: 0 });
    const got = await sub.waitMessages(2);
    expect(got.map((m) => [m.topic, m.qos])).toEqual([["q1c/a", 1], ["q1c/b", 0]]);
  });

  test("a QoS 0 subscription receives QoS 1 messages at QoS 0", async () => {
    const id = `q0-${uid()}`;
    await using sub = await mqttjs(broker.url, { clientId: id, clean: false });
    await using pub = await mqttjs(broker.url);
    await sub.client.subscribeAsync("q0s/x", { qos: 0 });
    await pub.client.publishAsync("q0s/x", "downgraded", { qos: 1 });
    expect((await sub.waitMessages(1))[0]).toMatchObject({ qos: 0, payload: "downgraded" });
  });

  test("10,000 messages queued for an offline persistent session arrive complete and in order", async () => {
    const clientId = `offline-${uid()}`;
    {
      await using first = await mqttjs(broker.url, { clientId, clean: false });
      await first.client.subscribeAsync("queue/10k", { qos: 1 });
    }
    await publishQos1(broker.port, "queue/10k", 10_000);
    await using back = await mqttjs(broker.url, { clientId, clean: false });
    expect(back.connack.sessionPresent).toBe(true);
    const got = await back.waitMessages(10_000, 60_000);
    expect(got).toHaveLength(10_000);
    expect(got.every((m, i) => m.payload === String(i) && m.qos === 1)).toBe(true);
  });

  test("an unacknowledged delivery is sent again with DUP and the same packet id after ack_wait", async () => {
    await using raw = await rawSubscriber(`redeliver-${uid()}`, "redeliver/x", impatient);
    await using pub = await mqttjs(broker.url);
    await pub.client.publishAsync("redeliver/x", "again", { qos: 1 });
    const [first] = (await raw.waitCount("publish", 1)) as IPublishPacket[];
    expect(first).toMatchObject({ qos: 1, dup: false, topic: "redeliver/x" });
    const started = Date.now();
    const [, second] = (await raw.waitCount("publish", 2, 5 * ACK_WAIT_MS)) as IPublishPacket[];
    expect(Date.now() - started).toBeGreaterThanOrEqual(ACK_WAIT_MS / 2);
    expect(second).toMatchObject({ qos: 1, dup: true, messageId: first?.messageId });
    expect(second?.payload.toString()).toBe("again");
    raw.send({ cmd: "puback", messageId: second?.messageId });
    // Once acknowledged it is not sent again: the next delivery is the next message.
    await pub.client.publishAsync("redeliver/x", "next", { qos: 1 });
    const third = (await raw.waitCount("publish", 3, 5 * ACK_WAIT_MS))[2] as IPublishPacket;
    expect(third.payload.toString()).toBe("next");
    expect(third.dup).toBe(false);
  });

  test("on resume, unacknowledged messages are sent again at once, in order, with DUP and their ids [MQTT-4.4.0-1]", async () => {
    const clientId = `resume-${uid()}`;
    const first = await rawSubscriber(clientId, "resume/#");
    await using pub = await mqttjs(broker.url);
    for (const p of ["a", "b", "c"]) await pub.client.publishAsync(`resume/${p}`, p, { qos: 1 });
    const before = (await first.waitCount("publish", 3)) as IPublishPacket[];
    // "b" is done; the PUBACK is handled before the close that follows it on the socket.
    first.send({ cmd: "puback", messageId: before[1]?.messageId });
    first.close();
    await first.waitClosed();

    await using again = await RawClient.open(broker.port);
    expect(await again.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    // Far sooner than ack_wait (30 s here).
    const resent = (await again.waitCount("publish", 2, 3000)) as IPublishPacket[];
    expect(resent.map((p) => [p.topic, p.dup, p.messageId])).toEqual([
      ["resume/a", true, before[0]?.messageId],
      ["resume/c", true, before[2]?.messageId],
    ]);
  });

  test("UNSUBSCRIBE removes the subscription and the messages queued for it [MQTT-3.10.4-1]", async () => {
    const clientId = `unsub-${uid()}`;
    {
      await using c = await mqttjs(broker.url, { clientId, clean: false });
      await c.client.subscribeAsync(["unsub/q", "unsub/keep"], { qos: 1 });
    }
    await publishQos1(broker.port, "unsub/q", 5);
    const jsm = await jetstreamManager(await nats.client());
    const queued = async () =>
      (await jsm.streams.info(MESSAGES_STREAM, { subjects_filter: "$JETMQ.msgs.unsub.q" })).state
        .subjects?.["$JETMQ.msgs.unsub.q"] ?? 0;
    expect(await queued()).toBe(5);
    await using back = await mqttjs(broker.url, { clientId, clean: false });
    await back.client.unsubscribeAsync("unsub/q");
    await waitFor(async () => (await queued()) === 0, { what: "the queue to be removed" });
  });

  test("SUBSCRIBE again with another QoS replaces the subscription [MQTT-3.8.4-3]", async () => {
    const clientId = `replace-${uid()}`;
    await using c = await mqttjs(broker.url, { clientId, clean: false });
    await using pub = await mqttjs(broker.url);
    await c.client.subscribeAsync("replace/x", { qos: 1 });
    expect(await c.client.subscribeAsync("replace/x", { qos: 0 })).toMatchObject([{ qos: 0 }]);
    await pub.client.publishAsync("replace/x", "once", { qos: 1 });
    await pub.client.publishAsync("replace/x", "twice", { qos: 1 });
    const got = await c.waitMessages(2);
    expect(got.map((m) => [m.payload, m.qos])).toEqual([["once", 0], ["twice", 0]]);
  });

  test("a JetStream publish on $JETMQ.msgs.<subject> reaches an offline QoS 1 subscriber (NATS → MQTT at QoS 1)", async () => {
    const clientId = `device-${uid()}`;
    {
      await using dev = await mqttjs(broker.url, { clientId, clean: false });
      await dev.client.subscribeAsync(`commands/${clientId}/#`, { qos: 1 });
    }
    const js = jetstream(await nats.client());
    const h = headers();
    h.set("Nmqtt-Pub", "1");
    await js.publish(`$JETMQ.msgs.commands.${clientId}.reboot`, "now", { headers: h });
    await using dev = await mqttjs(broker.url, { clientId, clean: false });
    expect((await dev.waitMessages(1))[0]).toMatchObject({
      topic: `commands/${clientId}/reboot`,
      payload: "now",
      qos: 1,
    });
  });

  test("overlapping QoS 1 filters of a persistent session deliver a message once", async () => {
    const clientId = `overlap-${uid()}`;
    await using c = await mqttjs(broker.url, { clientId, clean: false });
    await c.client.subscribeAsync(["ovq/#", "ovq/+", "ovq/x"], { qos: 1 });
    await publishQos1(broker.port, "ovq/x", 3);
    await publishQos1(broker.port, "ovq/y/z", 1);
    const got = await c.waitMessages(4);
    await using pub = await mqttjs(broker.url);
    await pub.client.publishAsync("ovq/end", "end", { qos: 1 });
    await c.waitMessages(5);
    expect(got.map((m) => `${m.topic}:${m.payload}`)).toEqual([
      "ovq/x:0",
      "ovq/x:1",
      "ovq/x:2",
      "ovq/y/z:0",
      "ovq/end:end",
    ]);
  });

  test("clean start deletes a persistent session's consumers and queue [MQTT-3.1.2-6]", async () => {
    const clientId = `wipe-${uid()}`;
    {
      await using c = await mqttjs(broker.url, { clientId, clean: false });
      await c.client.subscribeAsync("wipe/#", { qos: 1 });
    }
    await publishQos1(broker.port, "wipe/x", 3);
    {
      await using c = await mqttjs(broker.url, { clientId, clean: true });
      expect(c.connack.sessionPresent).toBe(false);
    }
    const jsm = await jetstreamManager(await nats.client());
    const info = await jsm.streams.info(MESSAGES_STREAM, { subjects_filter: "$JETMQ.msgs.wipe.>" });
    expect(info.state.subjects ?? {}).toEqual({});
    await using c = await mqttjs(broker.url, { clientId, clean: false });
    expect(c.connack.sessionPresent).toBe(false);
  });
});
