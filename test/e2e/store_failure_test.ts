import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { reportFigures } from "../helpers/report.ts";
import { waitFor } from "../helpers/wait.ts";

// JetStream stops answering (nats-server paused with SIGSTOP for longer than the API timeout)
// while QoS 1 messages are being stored: a short pause is ridden out by retries under the same
// message id (exactly once at the subscriber); a long one closes the publisher, which sends its
// messages again on reconnect (at least once, duplicates counted). Never a connection left
// waiting for a PUBACK that will not come.

let nats: TestNats;
let broker: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url, { js_api_timeout: "1s", store_retry: "2500ms" });
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
});

/** Publishes `count` QoS 1 messages while NATS is paused for `pauseMs`; returns the counts. */
async function run(topic: string, count: number, pauseMs: number) {
  const options = { clean: false, reconnectPeriod: 200, connectTimeout: 10_000 };
  await using sub = await mqttjs(broker.url, { clientId: `sf-sub-${topic}`, ...options });
  await sub.client.subscribeAsync(topic, { qos: 1 });
  await using pub = await mqttjs(broker.url, { clientId: `sf-pub-${topic}`, ...options });
  let closes = 0;
  pub.client.on("close", () => closes++);
  const acked = new Set<number>();
  // Every message reaches jetmq while JetStream is paused, however busy this machine is.
  process.kill(nats.pid, "SIGSTOP");
  const pausedAt = Date.now();
  const before = (await broker.varz()).in_msgs;
  try {
    for (let i = 0; i < count; i++) {
      pub.client.publish(topic, String(i), { qos: 1 }, (err) => !err && acked.add(i));
    }
    await waitFor(async () => (await broker.varz()).in_msgs >= before + count, {
      what: "jetmq to get them",
    });
    await Bun.sleep(Math.max(0, pauseMs - (Date.now() - pausedAt)));
  } finally {
    process.kill(nats.pid, "SIGCONT");
  }
  await waitFor(() => acked.size === count, { timeoutMs: 30_000, what: "every PUBACK" });
  const unique = () => new Set(sub.received.map((m) => m.payload)).size;
  await waitFor(() => unique() === count, { timeoutMs: 30_000, what: "every message" });
  const figures = { sent: count, acknowledged: acked.size, closes, arrived: unique() };
  reportFigures(`store_failure_${pauseMs}ms`, {
    ...figures,
    pauseMs,
    duplicates: sub.received.length - unique(),
  });
  return { closes, received: sub.received.length, unique: unique() };
}

describe("a store that JetStream does not answer", () => {
  test("a pause shorter than store_retry: retried with the same id, delivered exactly once", async () => {
    const r = await run("sf/short", 40, 1500);
    expect(r.closes).toBe(0);
    expect(r.received).toBe(40);
    await broker.logged("store.retrying", (l) => String(l.reason).includes("no answer within"));
  });

  test("a pause longer than store_retry: the publisher is closed, resends, nothing is lost", async () => {
    const r = await run("sf/long", 40, 6000);
    expect(r.closes).toBeGreaterThanOrEqual(1);
    expect(r.unique).toBe(40);
    await broker.logged(
      "client.closed",
      (l) => /QoS 1 PUBLISH \d+: Not stored after/.test(String(l.reason)),
    );
  });

  test("a persistent session's SUBSCRIBE during a pause shorter than store_retry: granted once JetStream answers, the client stays", async () => {
    const topic = "sf/subscribe";
    const options = { clean: false, reconnectPeriod: 200, connectTimeout: 10_000 };
    await using sub = await mqttjs(broker.url, { clientId: "sf-subscriber", ...options });
    let closes = 0;
    sub.client.on("close", () => closes++);
    process.kill(nats.pid, "SIGSTOP");
    let granted: Promise<unknown>;
    try {
      // What it asks of JetStream (its session record, its consumer) meets a pause longer than
      // js_api_timeout.
      granted = sub.client.subscribeAsync(topic, { qos: 1 });
      await Bun.sleep(1500);
    } finally {
      process.kill(nats.pid, "SIGCONT");
    }
    expect(await granted).toEqual([{ topic, qos: 1 }]);
    await using pub = await mqttjs(broker.url);
    await pub.client.publishAsync(topic, "after", { qos: 1 });
    expect((await sub.waitMessages(1)).map((m) => m.payload)).toEqual(["after"]);
    expect(closes).toBe(0);
    await broker.logged("store.retrying", (l) => String(l.what).startsWith("session "));
  });
});
