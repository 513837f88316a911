import { BenchClient, warmUp } from "../client.ts";
import { type Metrics, type Scenario } from "../measure.ts";
import { settledRssOf } from "../targets.ts";

const COUNT = 5000;
const CONCURRENCY = 100;

export const idleConnections: Scenario = {
  name: "5,000 idle clean connections",
  metrics: { "connects/s": "higher", "RSS/conn B": "lower" },
  fresh: true,
  async run(port, pid): Promise<Metrics> {
    await warmUp(port);
    const before = await settledRssOf(pid);
    const clients: BenchClient[] = [];
    const start = performance.now();
    for (let i = 0; i < COUNT; i += CONCURRENCY) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, COUNT - i) }, () => BenchClient.connect(port)),
      );
      clients.push(...batch);
    }
    const elapsed = performance.now() - start;
    const after = await settledRssOf(pid);
    for (const c of clients) c.close();
    return { "connects/s": COUNT / (elapsed / 1000), "RSS/conn B": (after - before) / COUNT };
  },
};
