import { describe, expect, test } from "bun:test";
import { DeadlineWheel, type Due } from "../src/front/deadline_wheel.ts";
import { waitFor } from "./helpers/wait.ts";

/** An item that records when it came due. */
function item(): Due & { firedAt: number[] } {
  const firedAt: number[] = [];
  return { slot: -1, firedAt, due: (now) => void firedAt.push(now) };
}

describe("deadline wheel", () => {
  test("an item comes due once, on the first tick after its deadline, not before", async () => {
    const wheel = new DeadlineWheel();
    const it = item();
    const at = Date.now() + 300;
    wheel.schedule(it, at);
    await waitFor(() => it.firedAt.length > 0, { timeoutMs: 2000, what: "the deadline" });
    expect(it.firedAt[0]).toBeGreaterThanOrEqual(at);
    expect(it.firedAt[0]).toBeLessThan(at + 600);
    expect(it.slot).toBe(-1);
  });

  test("a cancelled item never comes due; a rescheduled one comes due at its new deadline", async () => {
    const wheel = new DeadlineWheel();
    const cancelled = item();
    const moved = item();
    const witness = item();
    wheel.schedule(cancelled, Date.now() + 100);
    wheel.schedule(moved, Date.now() + 100);
    wheel.cancel(cancelled);
    const later = Date.now() + 700;
    wheel.schedule(moved, later);
    // Due after both original deadlines: once it fired, they would have.
    wheel.schedule(witness, Date.now() + 400);
    await waitFor(() => witness.firedAt.length > 0, { timeoutMs: 2000, what: "the witness" });
    expect(cancelled.firedAt).toEqual([]);
    expect(moved.firedAt).toEqual([]);
    await waitFor(() => moved.firedAt.length > 0, { timeoutMs: 2000, what: "the moved item" });
    expect(moved.firedAt[0]).toBeGreaterThanOrEqual(later);
    expect(cancelled.firedAt).toEqual([]);
  });

  test("items that schedule themselves again from due() keep coming due", async () => {
    const wheel = new DeadlineWheel();
    let count = 0;
    const again: Due = {
      slot: -1,
      due: (now) => {
        if (++count < 3) wheel.schedule(again, now + 50);
      },
    };
    wheel.schedule(again, Date.now());
    await waitFor(() => count === 3, { timeoutMs: 3000, what: "three rounds" });
    expect(again.slot).toBe(-1);
  });
});
