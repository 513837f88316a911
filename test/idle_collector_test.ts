import { describe, expect, test } from "bun:test";
import { QuietAfterBusy } from "../src/instance/idle_collector.ts";

/** Feeds periods of 250 ms at the given shares of one core; returns the periods that collect. */
function run(shares: readonly number[], startAt = 0): number[] {
  let cpu = 0;
  let now = startAt;
  const d = new QuietAfterBusy(cpu, now);
  const collected: number[] = [];
  shares.forEach((share, i) => {
    now += 250;
    cpu += share * 250_000;
    if (d.tick(cpu, now)) collected.push(i);
  });
  return collected;
}

describe("collection after a burst", () => {
  test("collects at the first quiet period after busy ones, once", () => {
    expect(run([0.9, 1, 0.6, 0.1, 0.01, 0.01, 0.02])).toEqual([4]);
  });

  test("never collects in a process that was never busy, nor while a load goes on", () => {
    expect(run([0.01, 0.02, 0.1, 0.2, 0.01, 0.01])).toEqual([]);
    expect(run(Array.from({ length: 40 }, () => 0.5))).toEqual([]);
  });

  test("bursts within two seconds of a collection wait for the next quiet period after that", () => {
    const burstThenQuiet = [1, 1, 0.01, 0.01];
    // Burst, quiet (collect), burst 1 s later: its quiet periods wait until 2 s have passed.
    const shares = [...burstThenQuiet, ...burstThenQuiet, ...Array(10).fill(0.01)];
    expect(run(shares)).toEqual([2, 10]);
  });
});
