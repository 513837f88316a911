import { BenchClient, publishBytes } from "../client.ts";
import { type Metrics, runId, type Scenario, settle } from "../measure.ts";
import { rssOf } from "../targets.ts";

const BATCH = 500;

/** Publishes `count` QoS 0 messages as fast as the socket takes them, in pre-encoded batches. */
async function flood(pub: BenchClient, topic: string, count: number): Promise<void> {
  const one = publishBytes(topic, new Uint8Array(64), 0);
  const batch = new Uint8Array(one.length * BATCH);
  for (let i = 0; i < BATCH; i++) batch.set(one, i * one.length);
  for (let sent = 0; sent < count; sent += BATCH) {
    pub.write(batch);
    await pub.drained();
    // Yield to the event loop: the subscribers in this process must get to read too.
    await new Promise((r) => setImmediate(r));
  }
}

/** N publishers → M subscribers on one topic, QoS 0: delivered msg/s at the subscribers. */
async function qos0(
  port: number,
  publishers: number,
  subscribers: number,
  perPublisher: number,
): Promise<Metrics> {
  const id = runId();
  const subs = await Promise.all(
    Array.from({ length: subscribers }, () => BenchClient.connect(port)),
  );
  let received = 0;
  for (const s of subs) {
    s.onPublish = () => void received++;
    await s.subscribe(publishers > 1 ? `bench/${id}/#` : `bench/${id}/t`, 0);
  }
  const pubs = await Promise.all(
    Array.from({ length: publishers }, () => BenchClient.connect(port)),
  );
  const expected = publishers * perPublisher * subscribers;
  const start = performance.now();
  await Promise.all(
    pubs.map((p, i) =>
      flood(p, publishers > 1 ? `bench/${id}/p${i}` : `bench/${id}/t`, perPublisher)
    ),
  );
  const end = await settle(() => received, expected, { idleMs: 1000, maxMs: 30_000 });
  for (const c of [...subs, ...pubs]) c.close();
  return {
    "msg/s": received / ((end - start) / 1000),
    "loss %": 100 * (1 - received / expected),
  };
}

const MB = 1024 * 1024;

/**
 * The broker's memory around a run: before it, when the last message has arrived (settled: no
 * more for a second), and a second later — what it holds on to after a burst.
 */
async function withMemory(pid: number, run: () => Promise<Metrics>): Promise<Metrics> {
  const idle = await rssOf(pid);
  const m = await run();
  const after = await rssOf(pid);
  await Bun.sleep(1000);
  const later = await rssOf(pid);
  return {
    ...m,
    "idle RSS MB": idle / MB,
    "RSS after MB": after / MB,
    "RSS 1 s later MB": later / MB,
  };
}

export const fanIn: Scenario = {
  name: "QoS 0 fan-in 4→1 (#)",
  metrics: {
    "msg/s": "higher",
    "loss %": "lower",
    "idle RSS MB": "lower",
    "RSS after MB": "lower",
    "RSS 1 s later MB": "lower",
  },
  run: (port, pid) => withMemory(pid, () => qos0(port, 4, 1, 50_000)),
};

export const fanOut: Scenario = {
  name: "QoS 0 fan-out 1→8",
  metrics: { "msg/s": "higher", "loss %": "lower" },
  run: (port) => qos0(port, 1, 8, 25_000),
};
