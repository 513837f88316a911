import { describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
useInstances(2, {}, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** Publishes a retained message and ends with DISCONNECT, after which jetmq has stored it. */
async function retain(on: TestBroker, topic: string, payload: string, qos: 0 | 1 = 0) {
  const pub = await mqttjs(on.url);
  await pub.client.publishAsync(topic, payload, { qos, retain: true });
  await pub.client.endAsync(false);
}

describe("retained messages", () => {
  test("a new subscription gets the retained messages of + and # filters, with RETAIN set [MQTT-3.3.1-6]", async () => {
    const t = `ret-${uid()}`;
    await retain(a, `${t}/a/temp`, "21");
    await retain(a, `${t}/b/temp`, "22", 1);
    await retain(a, `${t}`, "parent");
    await using plus = await mqttjs(a.url);
    await plus.client.subscribeAsync(`${t}/+/temp`, { qos: 1 });
    const got = await plus.waitMessages(2);
    expect(got.map((m) => [m.topic, m.payload, m.retain, m.qos]).sort()).toEqual([
      [`${t}/a/temp`, "21", true, 0],
      [`${t}/b/temp`, "22", true, 1],
    ]);
    await using hash = await mqttjs(a.url);
    await hash.client.subscribeAsync(`${t}/#`);
    const all = await hash.waitMessages(3);
    expect(all.map((m) => m.topic).sort()).toEqual([t, `${t}/a/temp`, `${t}/b/temp`]);
    expect(all.every((m) => m.retain && m.qos === 0)).toBe(true); // min(stored, granted 0)
  });

  test("a retained message reaches existing subscribers with RETAIN 0 [MQTT-3.3.1-9]", async () => {
    const t = `live-${uid()}`;
    await using sub = await mqttjs(a.url);
    await sub.client.subscribeAsync(`${t}/#`);
    await retain(a, `${t}/x`, "now");
    expect((await sub.waitMessages(1))[0]).toMatchObject({ payload: "now", retain: false });
  });

  test("a newer retained message replaces the older one [MQTT-3.3.1-5]", async () => {
    const t = `repl-${uid()}`;
    await retain(a, t, "old");
    await retain(a, t, "new");
    await using sub = await mqttjs(a.url);
    await sub.client.subscribeAsync(`${t}/#`);
    await retain(a, `${t}/end`, "end");
    const got = await sub.waitMessages(2);
    expect(got.map((m) => m.payload)).toEqual(["new", "end"]);
  });

  test("an empty retained message is delivered normally and deletes the stored one [MQTT-3.3.1-10]", async () => {
    const t = `del-${uid()}`;
    await retain(a, `${t}/x`, "doomed");
    await using live = await mqttjs(a.url);
    await live.client.subscribeAsync(`${t}/x`);
    await live.waitMessages(1);
    await retain(a, `${t}/x`, "");
    expect((await live.waitMessages(2))[1]).toMatchObject({ payload: "", retain: false });
    await retain(a, `${t}/y`, "sentinel");
    await using fresh = await mqttjs(a.url);
    await fresh.client.subscribeAsync(`${t}/#`);
    // The sentinel was stored after the delete, so it comes last: nothing came before it.
    expect((await fresh.waitMessages(1)).map((m) => m.payload)).toEqual(["sentinel"]);
  });

  test("wildcards find no $ topics; a $ filter does [MQTT-4.7.2-1]", async () => {
    const t = `dol${uid()}`;
    await retain(a, `$${t}/status`, "hidden");
    await retain(a, `${t}/status`, "seen");
    await using wild = await mqttjs(a.url);
    await wild.client.subscribeAsync(["+/status"]);
    await using dollar = await mqttjs(a.url);
    await dollar.client.subscribeAsync(`$${t}/#`);
    expect((await dollar.waitMessages(1))[0]?.payload).toBe("hidden");
    const got = await wild.waitMessages(1);
    expect(got.filter((m) => m.topic.includes(t)).map((m) => m.payload)).toEqual(["seen"]);
  });

  test("a retained message published on one instance is seen by a subscriber on another", async () => {
    const t = `cross-${uid()}`;
    await retain(a, t, "from A");
    await using onB = await mqttjs(b.url);
    await onB.client.subscribeAsync(t);
    expect((await onB.waitMessages(1))[0]).toMatchObject({ payload: "from A", retain: true });
  });

  test("a wildcard lookup from an instance's copy sees a set and a delete made on the other instance just before, in order", async () => {
    const t = `copy-${uid()}`;
    await retain(a, `${t}/x`, "first");
    await retain(a, `${t}/gone`, "soon deleted");
    await retain(a, `${t}/x`, "second");
    await retain(a, `${t}/gone`, "");
    await using onB = await mqttjs(b.url);
    await onB.client.subscribeAsync(`${t}/#`);
    const got = await onB.waitMessages(1);
    await Bun.sleep(200); // a stale copy would send "first" or the deleted topic now
    expect(got.map((m) => [m.topic, m.payload])).toEqual([[`${t}/x`, "second"]]);
    const varz = await b.varz() as unknown as { retained_cache: { in_use: boolean } };
    expect(varz.retained_cache.in_use).toBe(true);
  });

  test("past retained_cache, an instance reads wildcard lookups from the stream: nothing is missed", async () => {
    const t = `big-${uid()}`;
    await using small = await startTestBroker(nats.url, { retained_cache: "1KiB" });
    await using pub = await mqttjs(a.url);
    for (let i = 0; i < 40; i++) pub.client.publish(`${t}/${i}`, "x".repeat(100), { retain: true });
    await pub.client.publishAsync(`${t}/last`, "last", { retain: true, qos: 1 });
    await small.logged("retained.cache_off");
    await using sub = await mqttjs(small.url);
    await sub.client.subscribeAsync(`${t}/#`);
    const got = await sub.waitMessages(41);
    expect(new Set(got.map((m) => m.topic)).size).toBe(41);
    const varz = await small.varz() as unknown as { retained_cache: { in_use: boolean } };
    expect(varz.retained_cache.in_use).toBe(false);
  });

  test("retained messages survive a restart of jetmq", async () => {
    const t = `restart-${uid()}`;
    const first = await startTestBroker(nats.url);
    await retain(first, t, "kept");
    await first.stop();
    await using second = await startTestBroker(nats.url);
    await using sub = await mqttjs(second.url);
    await sub.client.subscribeAsync(t);
    expect((await sub.waitMessages(1))[0]).toMatchObject({ payload: "kept", retain: true });
  });

  test("retained messages come before live ones on a new subscription", async () => {
    const t = `order-${uid()}`;
    await using pub = await mqttjs(a.url);
    for (let i = 0; i < 300; i++) pub.client.publish(`${t}/r${i}`, `r${i}`, { retain: true });
    await pub.client.publishAsync(`${t}/last`, "last", { retain: true, qos: 1 });
    let live = 0;
    const timer = setInterval(() => pub.client.publish(`${t}/live`, String(live++)), 1);
    try {
      await using sub = await mqttjs(a.url);
      await sub.client.subscribeAsync(`${t}/#`);
      const got = await sub.waitMessages(310, 10_000);
      const firstLive = got.findIndex((m) => !m.retain);
      expect(got.slice(0, 301).every((m) => m.retain)).toBe(true);
      expect(firstLive).toBe(301);
    } finally {
      clearInterval(timer);
    }
  });
});
