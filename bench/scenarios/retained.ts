import { BenchClient, publishBytes } from "../client.ts";
import { type Metrics, runId, type Scenario, settle } from "../measure.ts";

/** Sets the RETAIN bit of an encoded PUBLISH. */
const retained = (bytes: Uint8Array): Uint8Array => {
  bytes[0] = (bytes[0] as number) | 0x01;
  return bytes;
};

/**
 * `topics` retained messages, then a new subscriber to all of them: the time until the last has
 * arrived. jetmq answers from its bounded copy of the retained stream (64 MiB by default: about
 * 100,000 small messages) or, past it, from the stream.
 */
const retainedLookup = (topics: number): Scenario => ({
  name: `Retained ${topics.toLocaleString("en-US")} → new ret/# subscriber`,
  metrics: { "ms": "lower", "arrived": "higher" },
  async run(port): Promise<Metrics> {
    const id = runId();
    const pub = await BenchClient.connect(port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < topics - 1; i++) {
      parts.push(retained(publishBytes(`ret/${id}/${i}`, new Uint8Array(64), 0)));
    }
    pub.write(Buffer.concat(parts));
    // A last one at QoS 1: brokers handle a connection's packets in order, so its PUBACK means
    // every retained message before it is kept.
    let acked = false;
    pub.onPuback = () => (acked = true);
    pub.write(retained(publishBytes(`ret/${id}/last`, new Uint8Array(64), 1, 1)));
    await settle(() => (acked ? 1 : 0), 1, { idleMs: 30_000, maxMs: 60_000 });
    pub.close();

    const sub = await BenchClient.connect(port);
    let got = 0;
    sub.onPublish = () => void got++;
    const start = performance.now();
    await sub.subscribe(`ret/${id}/#`, 0);
    const end = await settle(() => got, topics, { idleMs: 2000, maxMs: 60_000 });
    sub.close();
    return { "ms": end - start, "arrived": got };
  },
});

export const retained10k = retainedLookup(10_000);
export const retained100k = retainedLookup(100_000);
