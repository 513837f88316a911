import { BenchClient, type OnPublish, publishBytes, seqOf, stampedPayload } from "../client.ts";
import { type Metrics, runId, type Scenario, settle } from "../measure.ts";

const WINDOW = 256;

/**
 * Publishes `count` QoS 1 messages on `topic` keeping `WINDOW` unacknowledged, each with its
 * sequence number; resolves when all are acknowledged (or the time is up).
 */
export async function publishWindowed(
  port: number,
  topic: string,
  count: number,
  qos: 1 | 2 = 1,
): Promise<number> {
  const pub = await BenchClient.connect(port);
  let next = 0;
  let acked = 0;
  const send = () => {
    const seq = next++;
    pub.write(publishBytes(topic, stampedPayload(seq), qos, (seq % 65535) + 1));
  };
  pub.onPuback = () => {
    acked++;
    if (next < count) send();
  };
  for (let i = 0; i < Math.min(WINDOW, count); i++) send();
  await settle(() => acked, count, { idleMs: 5000, maxMs: 60_000 });
  pub.close();
  return acked;
}

/** Counts distinct sequence numbers and duplicates of what a subscriber's `onPublish` hears. */
export function counter(): {
  onPublish: OnPublish;
  unique: () => number;
  duplicates: () => number;
} {
  const seen = new Set<number>();
  let dups = 0;
  const onPublish = (payload: Uint8Array) => {
    const s = seqOf(payload);
    if (seen.has(s)) dups++;
    else seen.add(s);
  };
  return { onPublish, unique: () => seen.size, duplicates: () => dups };
}

/** One publisher keeping 256 in flight → one subscriber, both at `qos`. */
async function endToEnd(port: number, qos: 1 | 2, count: number): Promise<Metrics> {
  const topic = `bench/${runId()}/q${qos}`;
  const sub = await BenchClient.connect(port);
  const c = counter();
  sub.onPublish = c.onPublish;
  await sub.subscribe(topic, qos);
  const start = performance.now();
  await publishWindowed(port, topic, count, qos);
  const end = await settle(c.unique, count, { idleMs: 2000 });
  sub.close();
  return {
    "msg/s": c.unique() / ((end - start) / 1000),
    "loss %": 100 * (1 - c.unique() / count),
    "dups": c.duplicates(),
  };
}

const endToEndMetrics = { "msg/s": "higher", "loss %": "lower", "dups": "lower" } as const;

export const qos1EndToEnd: Scenario = {
  name: "QoS 1 end to end (256 in flight)",
  metrics: endToEndMetrics,
  run: (port) => endToEnd(port, 1, 20_000),
};

export const qos2EndToEnd: Scenario = {
  name: "QoS 2 end to end (256 in flight)",
  metrics: endToEndMetrics,
  run: (port) => endToEnd(port, 2, 10_000),
};

export const offlineQueue: Scenario = {
  name: "Offline queue of 10,000 (QoS 1)",
  metrics: { "drain ms": "lower", "arrived": "higher" },
  async run(port): Promise<Metrics> {
    const N = 10_000;
    const id = runId();
    const clientId = `offline-${id}`;
    const first = await BenchClient.connect(port, { clientId, clean: false });
    await first.subscribe(`bench/${id}/off`, 1);
    first.close();
    await Bun.sleep(200); // let the broker see the session go offline
    await publishWindowed(port, `bench/${id}/off`, N);
    const start = performance.now();
    const c = counter();
    const back = await BenchClient.connect(port, {
      clientId,
      clean: false,
      onPublish: c.onPublish,
    });
    const end = await settle(c.unique, N, { idleMs: 3000 });
    back.close();
    return { "drain ms": end - start, "arrived": c.unique() };
  },
};
