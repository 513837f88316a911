import { BenchClient, publishBytes, warmUp } from "../client.ts";
import { type Metrics, runId, type Scenario, settle } from "../measure.ts";
import { settledRssOf } from "../targets.ts";

const COUNT = 5000;
const CONCURRENCY = 100;

/**
 * 5,000 clients each subscribed at QoS 0 to a topic of its own, as devices listening for their
 * commands: what one subscription costs the broker in memory, and how long one message to each
 * takes to arrive.
 */
export const ownTopics: Scenario = {
  name: "5,000 clients on their own topics",
  metrics: { "RSS/client B": "lower", "one each ms": "lower" },
  fresh: true,
  async run(port, pid): Promise<Metrics> {
    const run = runId();
    await warmUp(port, 100, (c, i) => c.subscribe(`own/${run}/warm/${i}`, 0));
    const before = await settledRssOf(pid);
    const clients: BenchClient[] = [];
    let received = 0;
    for (let i = 0; i < COUNT; i += CONCURRENCY) {
      clients.push(
        ...await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, COUNT - i) }, async (_, k) => {
            const c = await BenchClient.connect(port);
            c.onPublish = () => void received++;
            await c.subscribe(`own/${run}/${i + k}`, 0);
            return c;
          }),
        ),
      );
    }
    const after = await settledRssOf(pid);
    const pub = await BenchClient.connect(port);
    const payload = new Uint8Array(64);
    const start = performance.now();
    for (let i = 0; i < COUNT; i++) pub.write(publishBytes(`own/${run}/${i}`, payload, 0));
    const last = await settle(() => received, COUNT);
    pub.close();
    for (const c of clients) c.close();
    return {
      "RSS/client B": (after - before) / COUNT,
      "one each ms": received === COUNT ? last - start : NaN,
    };
  },
};
