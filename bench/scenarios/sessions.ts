import { BenchClient } from "../client.ts";
import { type Metrics, runId, type Scenario } from "../measure.ts";

const COUNT = 10_000;
const CONCURRENCY = 50;

/** Runs `work(i)` for i in 0..count-1, `CONCURRENCY` at a time; returns the rate per second. */
async function rate(count: number, work: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await work(next++);
  }));
  return count / ((performance.now() - start) / 1000);
}

/**
 * A fleet of devices with persistent sessions: each creates its session with a QoS 1
 * subscription to its own topic, then the whole fleet reconnects (an outage is over), as fast
 * as it can, 50 at a time; then once more (a second outage). The first reconnect of a fresh
 * jetmq also pays for its JIT compiling the resume path (on JavaScriptCore, optimizing compiles
 * go on for about 15,000 resumes); the second shows the rate of a broker that has run a while.
 */
export const persistentSessions: Scenario = {
  name: "10,000 persistent sessions",
  metrics: { "create/s": "higher", "resume/s": "higher", "resume again/s": "higher" },
  async run(port): Promise<Metrics> {
    const run = runId();
    const id = (i: number) => `ps-${run}-${i}`;
    const create = await rate(COUNT, async (i) => {
      const c = await BenchClient.connect(port, { clientId: id(i), clean: false });
      await c.subscribe(`ps/${run}/${i}`, 1);
      await c.disconnect();
    });
    const reconnect = () =>
      rate(COUNT, async (i) => {
        const c = await BenchClient.connect(port, { clientId: id(i), clean: false });
        if (!c.sessionPresent) throw new Error(`no session for ${id(i)}`);
        await c.disconnect();
      });
    const resume = await reconnect();
    const again = await reconnect();
    // Clean starts remove the sessions (and their consumers) for the next runs.
    await rate(COUNT, async (i) => {
      const c = await BenchClient.connect(port, { clientId: id(i), clean: true });
      await c.disconnect();
    });
    return { "create/s": create, "resume/s": resume, "resume again/s": again };
  },
};

/** Clean connects with random ids, 50 at a time: CONNECT, CONNACK, DISCONNECT. */
export const cleanConnects: Scenario = {
  name: "10,000 clean connects",
  metrics: { "connects/s": "higher" },
  async run(port): Promise<Metrics> {
    const perSecond = await rate(COUNT, async () => {
      const c = await BenchClient.connect(port);
      await c.disconnect();
    });
    return { "connects/s": perSecond };
  },
};
