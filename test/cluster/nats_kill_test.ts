import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type LocalCluster, startLocalCluster } from "../helpers/cluster.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { reportFigures } from "../helpers/report.ts";
import { waitFor } from "../helpers/wait.ts";

// NATS nodes killed with kill -9 one after another (the leaders of jetmq's streams and buckets
// among them), under a steady QoS 1 load through HAProxy: nothing published is lost, nothing
// stays unacknowledged, and no connected client's will fires.

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startLocalCluster({ instances: 2 });
});
afterAll(async () => {
  await cluster.stop();
});

const RATE_PER_S = 200;
const BYSTANDERS = 20;

describe("kill -9 of NATS nodes under load", () => {
  test("every message arrives, none is left unacknowledged, no false will", async () => {
    const topic = `nk/${crypto.randomUUID().slice(0, 8)}`;
    const options = { clean: false, reconnectPeriod: 100, connectTimeout: 3000 };
    await using wills = await mqttjs(cluster.url, { clientId: "nk-wills", ...options });
    await wills.client.subscribeAsync("nk-will/#", { qos: 1 });
    // Connected clients with wills, doing nothing: none of their wills may fire.
    const bystanders: TestClient[] = [];
    for (let i = 0; i < BYSTANDERS; i++) {
      bystanders.push(
        await mqttjs(cluster.url, {
          clientId: `nk-by-${i}`,
          keepalive: 30,
          reconnectPeriod: 100,
          will: { topic: `nk-will/${i}`, payload: Buffer.from("gone"), qos: 1, retain: false },
        }),
      );
    }
    await using sub = await mqttjs(cluster.url, { clientId: "nk-sub", ...options });
    await sub.client.subscribeAsync(topic, { qos: 1 });
    await using pub = await mqttjs(cluster.url, { clientId: "nk-pub", ...options });

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
    const recoveries: number[] = [];
    for (const node of [1, 2, 3]) {
      const before = unique();
      await waitFor(() => unique() >= before + 100, { timeoutMs: 30_000, what: "traffic" });
      const killedAt = Date.now();
      await cluster.sh("kill-nats", String(node));
      // Stores are retried through the election; acknowledgements resume.
      const ackedAtKill = acked.size;
      await waitFor(() => acked.size >= ackedAtKill + 200, {
        timeoutMs: 60_000,
        what: `acknowledgements to resume after killing NATS node ${node}`,
      });
      recoveries.push(Date.now() - killedAt);
      await cluster.sh("start-nats", String(node));
    }
    publishing = false;
    await publisher;
    // Nothing stays unacknowledged: every PUBLISH got its PUBACK (re-sent after a close if
    // it had to be), and everything sent arrived.
    await waitFor(() => acked.size === sent, { timeoutMs: 60_000, what: "every PUBACK" });
    await waitFor(() => unique() === sent, { timeoutMs: 60_000, what: "every message" });
    // A sentinel will-topic message proves the will subscriber is live and caught up.
    await pub.client.publishAsync("nk-will/sentinel", "end", { qos: 1 });
    await waitFor(() => wills.received.some((m) => m.payload === "end"), { timeoutMs: 30_000 });
    const figures = {
      sent,
      acknowledged: acked.size,
      arrived: unique(),
      duplicates: sub.received.length - unique(),
      falseWills: wills.received.filter((m) => m.payload === "gone").length,
      bystandersConnected: bystanders.filter((b) => b.client.connected).length,
      recoveryMs: recoveries,
    };
    reportFigures("nats_kill", figures);
    // Who published a will, and why: the first thing to know when this fails.
    if (figures.falseWills > 0) {
      process.stderr.write(`${cluster.logLines(["will.published", "instance.lost"]).join("\n")}\n`);
    }
    expect(figures.falseWills).toBe(0);
    expect(figures.arrived).toBe(sent);
    for (const b of bystanders) await b[Symbol.asyncDispose]();
  }, 300_000);
});
