import { BenchClient, publishBytes, stampedPayload, stampOf } from "../client.ts";
import { type Metrics, percentile, runId, type Scenario, settle } from "../measure.ts";

const RATE = 2000;
const SECONDS = 3;

/** One publisher at a steady 2,000 msg/s, one subscriber: time from send to receive. */
async function latency(port: number, qos: 0 | 1): Promise<Metrics> {
  const topic = `bench/${runId()}/lat`;
  const sub = await BenchClient.connect(port);
  const samples: number[] = [];
  sub.onPublish = (payload) => void samples.push((performance.now() - stampOf(payload)) * 1000);
  await sub.subscribe(topic, qos);
  const pub = await BenchClient.connect(port);
  const total = RATE * SECONDS;
  const start = performance.now();
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
    for (; sent < due; sent++) {
      pub.write(publishBytes(topic, stampedPayload(sent), qos, (sent % 65535) + 1));
    }
    await Bun.sleep(1);
  }
  await settle(() => samples.length, total, { idleMs: 2000 });
  sub.close();
  pub.close();
  samples.sort((a, b) => a - b);
  return {
    "p50 µs": percentile(samples, 50),
    "p99 µs": percentile(samples, 99),
    "max µs": samples[samples.length - 1] ?? NaN,
  };
}

const metrics = { "p50 µs": "lower", "p99 µs": "lower", "max µs": "lower" } as const;

export const latencyQos0: Scenario = {
  name: "Latency QoS 0 @2,000/s",
  metrics,
  run: (port) => latency(port, 0),
};

export const latencyQos1: Scenario = {
  name: "Latency QoS 1 @2,000/s",
  metrics,
  run: (port) => latency(port, 1),
};
