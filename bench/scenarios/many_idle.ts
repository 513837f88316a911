import { join } from "node:path";
import { warmUp } from "../client.ts";
import { type Metrics, type Scenario } from "../measure.ts";
import { settledRssOf } from "../targets.ts";

const WORKERS = 2;
const PER_WORKER = 9_500;

/**
 * 19,000 idle clean connections on one broker process — as many as a process may hold open
 * here (20,000 files, a hard limit) — from two load processes, for the same reason.
 */
export const manyIdle: Scenario = {
  name: "19,000 idle connections",
  metrics: { "connects/s": "higher", "RSS/conn B": "lower" },
  fresh: true,
  async run(port, pid): Promise<Metrics> {
    await warmUp(port);
    const before = await settledRssOf(pid);
    const start = performance.now();
    const workers = Array.from(
      { length: WORKERS },
      () =>
        Bun.spawn([
          process.execPath,
          join(import.meta.dir, "../idle_worker.ts"),
          String(port),
          String(PER_WORKER),
        ], {
          stdin: "pipe",
          stdout: "pipe",
          stderr: "inherit",
        }),
    );
    const ready = await Promise.all(workers.map(async (w) => {
      const reader = w.stdout.getReader();
      const { value } = await reader.read();
      reader.releaseLock();
      return new TextDecoder().decode(value ?? new Uint8Array()).startsWith("ready");
    }));
    const elapsed = performance.now() - start;
    const after = await settledRssOf(pid);
    for (const w of workers) w.stdin.end();
    await Promise.all(workers.map((w) => w.exited));
    if (!ready.every(Boolean)) return { "connects/s": NaN, "RSS/conn B": NaN };
    const total = WORKERS * PER_WORKER;
    return { "connects/s": total / (elapsed / 1000), "RSS/conn B": (after - before) / total };
  },
};
