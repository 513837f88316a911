import { BenchClient } from "../client.ts";
import type { Metrics, Scenario } from "../measure.ts";

const COUNT = 5000;
const CONCURRENCY = 100;
const AFTER = 1000;
/** Sessions this old have left the server's caches, as a fleet's sessions have. */
const LIVED_MS = 6000;

/**
 * 5,000 clean sessions a few seconds old end at once (a fleet's clients going away), and 1,000
 * new clients connect right after: how long until they are all in. A broker whose session
 * removals are costly makes the newcomers wait behind them (jetmq did, by 17 s, while it
 * purged each session record by subject; see docs/architecture.md).
 */
export const disconnectStorm: Scenario = {
  name: "5,000 clean sessions end at once",
  metrics: { "1,000 connects after ms": "lower" },
  async run(port): Promise<Metrics> {
    const clients: BenchClient[] = [];
    for (let i = 0; i < COUNT; i += CONCURRENCY) {
      clients.push(
        ...await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, COUNT - i) }, () => BenchClient.connect(port)),
        ),
      );
    }
    await Bun.sleep(LIVED_MS);
    const start = performance.now();
    const ended = clients.map((c) => c.disconnect());
    const newcomers: BenchClient[] = [];
    for (let i = 0; i < AFTER; i += CONCURRENCY) {
      newcomers.push(
        ...await Promise.all(
          Array.from({ length: CONCURRENCY }, () => BenchClient.connect(port)),
        ),
      );
    }
    const elapsed = performance.now() - start;
    await Promise.all(ended);
    for (const c of newcomers) c.close();
    return { "1,000 connects after ms": elapsed };
  },
};
