import { describe, expect, test } from "bun:test";
import { drainInstance } from "../src/instance/drain.ts";
import { Readiness } from "../src/instance/readiness.ts";
import { createLogger } from "../src/log.ts";

const GRACE_MS = 8000;

describe("drain", () => {
  test("a connection that joins after the pass began (its PROXY header read late) is sent away too, with its grace", async () => {
    const open = new Set<{ sentAway: boolean; sendAway(r: string, ms: number): void }>();
    const sent: string[] = [];
    const connection = (name: string, onSent = () => {}) => {
      const c = {
        sentAway: false,
        sendAway(_reason: string, willDelayMs: number) {
          c.sentAway = true;
          sent.push(`${name}:${willDelayMs}`);
          onSent();
          // It ends a moment later, as a closed socket does.
          setTimeout(() => open.delete(c), 5);
        },
      };
      open.add(c);
    };
    // While the first is sent away, a third is registered: the pass began without it.
    connection("a", () => connection("late"));
    connection("b");
    const readiness = new Readiness({ probe: () => Promise.resolve(null), graceMs: 1000 });
    const left = await drainInstance({
      readiness,
      stopListening: () => Promise.resolve(),
      connections: () => open,
      connectionCount: () => open.size,
    }, {
      noticeMs: 0,
      ratePerSecond: 1000,
      timeoutMs: 2000,
      willGraceMs: GRACE_MS,
      log: createLogger("silent"),
    });
    expect(left).toBe(0);
    expect(readiness.phase).toBe("draining");
    expect(sent.sort()).toEqual([`a:${GRACE_MS}`, `b:${GRACE_MS}`, `late:${GRACE_MS}`]);
  });
});
