import { describe, expect, test } from "bun:test";
import type { IPublishPacket } from "mqtt-packet";
import { startTestBroker, type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { run } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";
import { qos2Publish } from "../helpers/publishers.ts";

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
useInstances(2, {}, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** A raw persistent-session client subscribed to `filter` at QoS 2. */
async function rawSubscriber(on: TestBroker, clientId: string, filter: string): Promise<RawClient> {
  const raw = await RawClient.open(on.port);
  await raw.connect({ clientId, clean: false });
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos: 2 }] });
  expect(await raw.next("suback")).toMatchObject({ granted: [2] });
  return raw;
}

describe("QoS 2", () => {
  test("a duplicate PUBLISH before PUBREL gets PUBREC again and is delivered once [MQTT-4.3.3-2]", async () => {
    const topic = `q2in/${uid()}`;
    await using sub = await mqttjs(a.url);
    await sub.client.subscribeAsync(topic, { qos: 2 });
    const natsSeen: string[] = [];
    const nc = await nats.client();
    nc.subscribe(topic.replace("/", "."), {
      callback: (_e, m) => void natsSeen.push(`${m.string()}:${m.headers?.get("Nmqtt-Pub")}`),
    });
    await nc.flush();
    await using pub = await RawClient.open(a.port);
    await pub.connect();
    pub.send(qos2Publish(topic, "exactly once", 7));
    expect(await pub.next("pubrec")).toMatchObject({ messageId: 7 });
    pub.send(qos2Publish(topic, "exactly once", 7, true));
    expect(await pub.next("pubrec")).toMatchObject({ messageId: 7 });
    pub.send({ cmd: "pubrel", messageId: 7 });
    expect(await pub.next("pubcomp")).toMatchObject({ messageId: 7 });
    pub.send({ cmd: "pubrel", messageId: 7 }); // again: PUBCOMP, nothing delivered
    expect(await pub.next("pubcomp")).toMatchObject({ messageId: 7 });
    pub.send(qos2Publish(topic, "next", 8));
    await pub.next("pubrec");
    pub.send({ cmd: "pubrel", messageId: 8 });
    const got = await sub.waitMessages(2);
    expect(got.map((m) => [m.payload, m.qos])).toEqual([["exactly once", 2], ["next", 2]]);
    await waitFor(() => natsSeen.length === 2, { what: "NATS to see both" });
    expect(natsSeen).toEqual(["exactly once:2", "next:2"]);
  });

  test("a QoS 2 PUBLISH received on one instance is released by PUBREL on another, once", async () => {
    const topic = `q2roam/${uid()}`;
    const clientId = `roam-${uid()}`;
    await using sub = await mqttjs(b.url);
    await sub.client.subscribeAsync(topic, { qos: 2 });
    const first = await RawClient.open(a.port);
    await first.connect({ clientId, clean: false });
    first.send(qos2Publish(topic, "half way", 11));
    await first.next("pubrec");
    first.close();
    await first.waitClosed();
    await using again = await RawClient.open(b.port);
    expect(await again.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    again.send({ cmd: "pubrel", messageId: 11 });
    expect(await again.next("pubcomp")).toMatchObject({ messageId: 11 });
    again.send(qos2Publish(topic, "after", 12));
    await again.next("pubrec");
    again.send({ cmd: "pubrel", messageId: 12 });
    const got = await sub.waitMessages(2);
    expect(got.map((m) => m.payload)).toEqual(["half way", "after"]);
  });

  test("PUBREL for an unknown packet id gets PUBCOMP", async () => {
    await using raw = await RawClient.open(a.port);
    await raw.connect();
    raw.send({ cmd: "pubrel", messageId: 999 });
    expect(await raw.next("pubcomp")).toMatchObject({ messageId: 999 });
  });

  test("after PUBREC no PUBLISH is sent again; PUBREL is resent on resume on another instance [MQTT-4.4.0-1]", async () => {
    const clientId = `out-${uid()}`;
    const topic = `q2out/${uid()}`;
    const first = await rawSubscriber(a, clientId, topic);
    await using pub = await mqttjs(a.url);
    await pub.client.publishAsync(topic, "one", { qos: 2 });
    await pub.client.publishAsync(topic, "two", { qos: 2 });
    const [one, two] = (await first.waitCount("publish", 2)) as IPublishPacket[];
    expect([one?.qos, two?.qos]).toEqual([2, 2]);
    first.send({ cmd: "pubrec", messageId: one?.messageId });
    expect(await first.next("pubrel")).toMatchObject({ messageId: one?.messageId });
    first.close(); // "one" awaits PUBCOMP, "two" awaits PUBREC
    await first.waitClosed();

    await using again = await RawClient.open(b.port);
    expect(await again.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    expect(await again.next("pubrel")).toMatchObject({ messageId: one?.messageId });
    const resent = (await again.next("publish")) as IPublishPacket;
    expect(resent).toMatchObject({ messageId: two?.messageId, dup: true, qos: 2 });
    expect(resent.payload.toString()).toBe("two");
    again.send({ cmd: "pubcomp", messageId: one?.messageId });
    again.send({ cmd: "pubrec", messageId: two?.messageId });
    expect(await again.next("pubrel")).toMatchObject({ messageId: two?.messageId });
    again.send({ cmd: "pubcomp", messageId: two?.messageId });
    await pub.client.publishAsync(topic, "three", { qos: 2 });
    const next = (await again.next("publish")) as IPublishPacket;
    expect(next.payload.toString()).toBe("three");
    // "one" was never sent again as a PUBLISH.
    expect(again.all("publish").map((p) => (p as IPublishPacket).payload.toString())).toEqual([
      "two",
      "three",
    ]);
  });

  test("MQTT.js at QoS 2 through a jetmq restart: every message exactly once", async () => {
    let broker = await startTestBroker(nats.url);
    const port = broker.port; // the restarted instance listens on the same one
    const url = () => `mqtt://127.0.0.1:${port}`;
    const topic = `q2restart/${uid()}`;
    // Both reconnect by themselves, as MQTT.js does in production, and resend what is unfinished.
    const options = { clean: false, reconnectPeriod: 200 };
    await using sub = await mqttjs(url(), { clientId: `s-${uid()}`, ...options });
    await sub.client.subscribeAsync(topic, { qos: 2 });
    await using pub = await mqttjs(url(), { clientId: `p-${uid()}`, ...options });
    for (let i = 0; i < 20; i++) {
      void pub.client.publishAsync(topic, String(i), { qos: 2 }).catch(() => {});
    }
    await sub.waitMessages(5);
    await broker.stop();
    broker = await startTestBroker(nats.url, { port });
    const got = await sub.waitMessages(20, 15_000);
    await pub.client.publishAsync(topic, "end", { qos: 2 });
    await sub.waitMessages(21, 10_000);
    const payloads = sub.received.map((m) => m.payload);
    expect(payloads.filter((p) => p !== "end").sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    expect(got.every((m) => m.qos === 2)).toBe(true);
    await broker.stop();
  });

  test("Python paho publishes and receives at QoS 2, each message once", async () => {
    const topic = `q2paho/${uid()}`;
    const script = `
import sys, paho.mqtt.client as mqtt
topic, port = sys.argv[1], int(sys.argv[2])
got = []
def on_connect(c, u, f, rc): c.subscribe(topic, qos=2)
def on_subscribe(c, u, mid, granted):
    for i in range(10): c.publish(topic, str(i), qos=2)
def on_message(c, u, m):
    got.append((m.payload.decode(), m.qos))
    if len(got) == 10: c.disconnect()
c = mqtt.Client(client_id="paho-q2", clean_session=True)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", port, keepalive=30)
c.loop_forever(timeout=1.0)
print(" ".join(p for p, q in got), set(q for p, q in got))
`;
    const out = await run(["/usr/bin/python3", "-c", script, topic, String(a.port)]);
    expect(out.stderr).toBe("");
    expect(out.stdout.trim()).toBe("0 1 2 3 4 5 6 7 8 9 {2}");
  });
});
