import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type LocalCluster, startLocalCluster } from "../helpers/cluster.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { proxyV1 } from "../helpers/proxy_bytes.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { reportFigures } from "../helpers/report.ts";
import { waitFor } from "../helpers/wait.ts";

// A rolling deploy: every instance drained (SIGTERM) and started again, one after another,
// while 120 clients with wills exchange QoS 1 messages through HAProxy. No will fires, nothing
// is lost; and a client that does not come back after a drain gets its will published once,
// after the grace, although its instance is gone by then.

const CLIENTS = 120;
// jetmq's default is 30 s. Under the whole suite on 2 cores, a client's way back through HAProxy
// to a fleet that is restarting took more than 4 s once in four CI runs: 8 s keeps the test
// about drains, not about how loaded the test machine is.
const GRACE_MS = 8000;

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startLocalCluster({
    instances: 3,
    env: {
      JETMQ_WILL_GRACE: `${GRACE_MS}ms`,
      // HAProxy checks every 500 ms and needs two failures: it has stopped sending by then.
      JETMQ_DRAIN_NOTICE: "1500ms",
      JETMQ_DRAIN_RATE: "200",
    },
  });
});
afterAll(async () => {
  await cluster.stop();
});

const willOf = (i: number | string) => ({
  topic: `roll-will/${i}`,
  payload: Buffer.from(`gone-${i}`),
  qos: 1 as const,
  retain: false,
});

describe("rolling restart through HAProxy", () => {
  test("every instance drained and restarted in turn: zero wills, nothing lost", async () => {
    await using wills = await mqttjs(cluster.url, {
      clientId: "roll-wills",
      clean: false,
      reconnectPeriod: 100,
    });
    await wills.client.subscribeAsync("roll-will/#", { qos: 1 });
    // Persistent sessions (messages wait in JetStream while a client moves), made 20 at a
    // time: each QoS 1 subscription is a durable consumer, a Raft group of its own on R3.
    const clients: TestClient[] = [];
    for (let batch = 0; batch < CLIENTS; batch += 20) {
      clients.push(
        ...await Promise.all(Array.from({ length: 20 }, async (_, k) => {
          const i = batch + k;
          const c = await mqttjs(cluster.url, {
            clientId: `roll-${i}`,
            clean: false,
            reconnectPeriod: 100,
            connectTimeout: 3000,
            will: willOf(i),
          });
          await c.client.subscribeAsync(`roll/${i}`, { qos: 1 });
          return c;
        })),
      );
    }
    // Each client sends QoS 1 to the next one, in rounds, the whole time.
    let rounds = 0;
    let sent = 0;
    const acked = new Set<string>();
    let running = true;
    const traffic = (async () => {
      while (running) {
        const round = rounds++;
        for (let i = 0; i < CLIENTS; i++) {
          const payload = `${round}:${i}`;
          sent++;
          clients[i]?.client.publish(`roll/${(i + 1) % CLIENTS}`, payload, { qos: 1 }, (err) => {
            if (!err) acked.add(payload);
          });
        }
        await Bun.sleep(200);
      }
    })();
    const arrived = () => {
      const all = new Set<string>();
      for (const c of clients) for (const m of c.received) all.add(m.payload);
      return all;
    };
    for (const instance of [1, 2, 3]) {
      const before = arrived().size;
      await waitFor(() => arrived().size >= before + CLIENTS, {
        timeoutMs: 30_000,
        what: "traffic",
      });
      await cluster.sh("stop-instance", String(instance)); // SIGTERM: drain, then exit
      await cluster.sh("start-instance", String(instance));
    }
    running = false;
    await traffic;
    await waitFor(() => acked.size === sent, { timeoutMs: 60_000, what: "every PUBACK" });
    await waitFor(() => arrived().size === sent, { timeoutMs: 60_000, what: "every message" });
    // Wills of drained clients would be due by now: wait the grace out, then a sentinel.
    await Bun.sleep(GRACE_MS + 1000);
    await clients[0]?.client.publishAsync("roll-will/sentinel", "end", { qos: 1 });
    await waitFor(() => wills.received.some((m) => m.payload === "end"), { timeoutMs: 30_000 });
    let duplicates = 0;
    for (const c of clients) {
      duplicates += c.received.length - new Set(c.received.map((m) => m.payload)).size;
    }
    const figures = {
      clients: CLIENTS,
      sent,
      acknowledged: acked.size,
      arrived: arrived().size,
      duplicates,
      wills: wills.received.filter((m) => m.payload.startsWith("gone")).length,
    };
    reportFigures("rolling_restart", figures);
    // Which clients' wills, if any, and what the instances logged of those clients: the first
    // things to know when this fails.
    const willed = wills.received.filter((m) => m.payload.startsWith("gone")).map((m) => m.topic);
    if (willed.length > 0) {
      const ids = willed.map((t) => `"roll-${t.split("/")[1]}"`);
      process.stderr.write(`${cluster.logLines(ids).join("\n")}\n`);
    }
    expect(willed).toEqual([]);
    expect(figures.arrived).toBe(sent);
    // With DISCONNECT: their wills go with them [MQTT-3.14.4-3], none reaches the next test.
    await Promise.all(clients.map((c) => c.client.endAsync()));
  }, 300_000);

  test(
    "a client that does not come back after a drain has its will published once, after the grace",
    async () => {
      await using watcher = await mqttjs(cluster.url, { reconnectPeriod: 100 });
      await watcher.client.subscribeAsync(["roll-will/leaver", "roll-will/sentinel"], { qos: 1 });
      // On instance 2, directly, as HAProxy would send it; it will not reconnect.
      const leaver = await RawClient.open(cluster.instances[1]?.mqttPort ?? 0, {
        preface: proxyV1("198.51.100.77", 4242),
      });
      await leaver.connect({ clientId: "roll-leaver", will: willOf("leaver") });
      const drainedAt = Date.now();
      await cluster.sh("stop-instance", "2"); // drained and gone
      await leaver.waitClosed();
      const [will] = await watcher.waitMessages(1, GRACE_MS + 20_000);
      expect(will).toMatchObject({ topic: "roll-will/leaver", payload: "gone-leaver" });
      const after = Date.now() - drainedAt;
      // Not before the grace; and only once (a sentinel after it comes next).
      expect(after).toBeGreaterThanOrEqual(GRACE_MS);
      await watcher.client.publishAsync("roll-will/sentinel", "end", { qos: 1 });
      await watcher.waitMessages(2);
      expect(watcher.received.map((m) => m.payload)).toEqual(["gone-leaver", "end"]);
      reportFigures("drain_will", { willAfterMs: after, graceMs: GRACE_MS });
      await cluster.sh("start-instance", "2");
    },
    120_000,
  );
});
