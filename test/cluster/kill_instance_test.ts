import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type LocalCluster, startLocalCluster } from "../helpers/cluster.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { reportFigures } from "../helpers/report.ts";
import { waitFor } from "../helpers/wait.ts";

// kill -9 of each jetmq instance in turn while a QoS 1 publisher and a persistent QoS 1
// subscriber run through HAProxy at a steady rate: whatever was acknowledged to the publisher
// arrives; duplicates are allowed (QoS 1) and counted.

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startLocalCluster({ instances: 3 });
});
afterAll(async () => {
  await cluster.stop();
});

const RATE_PER_S = 200;

describe("kill -9 of jetmq instances under load, through HAProxy", () => {
  test("every acknowledged message arrives; duplicates are counted", async () => {
    const topic = `kill/${crypto.randomUUID().slice(0, 8)}`;
    // Both reconnect by themselves and keep their sessions, as devices do.
    const options = { clean: false, reconnectPeriod: 100, connectTimeout: 2000 };
    await using sub = await mqttjs(cluster.url, { clientId: "kill-sub", ...options });
    await sub.client.subscribeAsync(topic, { qos: 1 });
    await using pub = await mqttjs(cluster.url, { clientId: "kill-pub", ...options });
    // How long each client was without a connection, per loss.
    const outages: number[] = [];
    for (const c of [sub, pub]) {
      let lostAt = 0;
      c.client.on("close", () => (lostAt ||= Date.now()));
      c.client.on("connect", () => {
        if (lostAt) outages.push(Date.now() - lostAt);
        lostAt = 0;
      });
    }

    let sent = 0;
    const acked = new Set<number>();
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const n = sent++;
        pub.client.publish(topic, String(n), { qos: 1 }, (err) => {
          if (!err) acked.add(n);
        });
        await Bun.sleep(1000 / RATE_PER_S);
      }
    })();

    const unique = () => new Set(sub.received.map((m) => m.payload)).size;
    for (const victim of [1, 2, 3]) {
      // Wait for traffic to flow, then kill the instance with no warning at all.
      const before = unique();
      await waitFor(() => unique() >= before + 100, { timeoutMs: 20_000, what: "traffic" });
      await cluster.sh("kill-instance", String(victim));
      // Both clients are served again (on the survivors), and messages flow end to end.
      const flowing = unique();
      await waitFor(
        () => unique() >= flowing + 100 && sub.client.connected && pub.client.connected,
        {
          timeoutMs: 30_000,
          what: `messages to flow again after killing instance ${victim}`,
        },
      );
      await cluster.sh("start-instance", String(victim));
    }
    publishing = false;
    await publisher;
    // Everything acknowledged arrives once the publisher's unfinished ones are through.
    await waitFor(() => [...acked].every((n) => received(sub).has(String(n))), {
      timeoutMs: 30_000,
      what: "every acknowledged message to arrive",
    });
    const payloads = sub.received.map((m) => m.payload);
    const figures = {
      sent,
      acknowledged: acked.size,
      arrived: unique(),
      duplicates: payloads.length - unique(),
      lost: [...acked].filter((n) => !received(sub).has(String(n))).length,
      reconnects: outages.length,
      reconnectMs: outages,
    };
    reportFigures("kill_instance", figures);
    expect(figures.lost).toBe(0);
    // Each client lived on an instance that was killed at least once.
    expect(outages.length).toBeGreaterThanOrEqual(2);
    expect(figures.acknowledged).toBeGreaterThan(sent * 0.9);
    expect(sub.received.every((m) => m.qos === 1)).toBe(true);
  }, 180_000);
});

const received = (sub: TestClient) => new Set(sub.received.map((m) => m.payload));
