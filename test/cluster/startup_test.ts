import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type LocalCluster, startLocalCluster } from "../helpers/cluster.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { waitFor } from "../helpers/wait.ts";

// Start-up before NATS is ready, and health while a NATS node is down.

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startLocalCluster({ instances: 1, start: false });
});
afterAll(async () => {
  await cluster.stop();
});

const probe = async (path: string) => {
  const at = Date.now();
  const res = await fetch(`http://127.0.0.1:${cluster.instances[0]?.monitorPort}${path}`)
    .catch(() => null);
  const body = res ? ((await res.json()) as { reason?: string }) : null;
  return { status: res?.status ?? 0, reason: body?.reason ?? "", ms: Date.now() - at };
};

describe("start-up and health on the local cluster", () => {
  test("jetmq started before its NATS cluster waits, then comes up on its own", async () => {
    const instanceUp = cluster.sh("start-instance", "1");
    // Alive, not ready, and saying what it waits for; no MQTT listener yet.
    await waitFor(async () => (await probe("/livez")).status === 200, { what: "/livez" });
    const waiting = await waitFor(async () => {
      const r = await probe("/readyz");
      return r.reason.startsWith("starting: NATS and JetStream") ? r : null;
    }, { what: "/readyz to say what start-up waits for" });
    expect(waiting.status).toBe(503);
    // The cluster forms: three nodes at once, as a deploy brings them up.
    await Promise.all([1, 2, 3].map((i) => cluster.sh("start-nats", String(i))));
    await instanceUp;
    expect((await probe("/readyz")).status).toBe(200);
    await using c = await mqttjs(`mqtt://127.0.0.1:${cluster.instances[0]?.mqttPort}`, {
      // proxy_protocol is on for the cluster's instances; this one is reached directly.
    }).catch(() => null);
    expect(c).toBeNull(); // no PROXY header from us: refused, as it should be
  });

  test("/readyz answers within its bound and stays ready while a NATS node is down", async () => {
    for (const node of [1, 2, 3]) {
      // A node of a healthy cluster goes, as in a rolling restart of NATS: every stream current
      // first (with two of three replicas gone, a stream has no quorum: a real outage).
      await waitFor(async () => {
        for (const port of cluster.natsHttpPorts) {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
          if (!res?.ok) return false;
        }
        return (await probe("/readyz")).status === 200;
      }, { timeoutMs: 30_000, what: "every NATS node current" });
      await cluster.sh("kill-nats", String(node));
      const answers = [];
      for (let i = 0; i < 8; i++) {
        answers.push(await probe("/readyz"));
        await Bun.sleep(250);
      }
      // Each answer comes within the 1 s bound (plus HTTP time), and a lost node (with the
      // election it causes) does not take the instance out of the balancer.
      expect(answers.filter((a) => a.ms > 1500)).toEqual([]);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect((await probe("/livez")).status).toBe(200);
      await cluster.sh("start-nats", String(node));
    }
  }, 120_000);
});
