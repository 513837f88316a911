import { describe, expect, test } from "bun:test";
import { LoginThrottle } from "../src/auth/login_throttle.ts";

// Every client behind one load balancer shares its address ("lb" here): guessing must slow
// down, and nobody with the right credentials may be shut out by somebody else's failures.

const LB = "10.0.0.1";

describe("login throttle", () => {
  test("failures for one user slow that user's checks to one a second, nobody else's", () => {
    const t = new LoginThrottle(3, 10_000, 0);
    let now = 1_000;
    for (let i = 0; i < 3; i++) t.failed(LB, "dev-1", now);
    expect(t.throttled(LB, "dev-1", now)).toBeNull(); // the first turn of the second
    expect(t.throttled(LB, "dev-1", now)).toMatchObject({ ms: 1000 });
    expect(t.throttled(LB, "dev-2", now)).toBeNull();
    expect(t.throttled(LB, undefined, now)).toBeNull();
    now += 1000;
    expect(t.throttled(LB, "dev-1", now)).toBeNull();
    expect(t.throttled(LB, "dev-1", now + 10)).toMatchObject({ ms: 990 });
  });

  test("a success clears the user's failures; the window clears them too", () => {
    const t = new LoginThrottle(2, 10_000, 0);
    t.failed(LB, "u", 0);
    t.failed(LB, "u", 0);
    t.throttled(LB, "u", 0);
    expect(t.throttled(LB, "u", 1)).not.toBeNull();
    t.succeeded(LB, "u", 2);
    expect(t.throttled(LB, "u", 3)).toBeNull();
    t.failed(LB, "v", 0);
    t.failed(LB, "v", 0);
    t.throttled(LB, "v", 0);
    expect(t.throttled(LB, "v", 10_001)).toBeNull();
  });

  test("guessing many user names throttles the address, but not users who logged in before", () => {
    const t = new LoginThrottle(2, 10_000, 0);
    t.succeeded(LB, "regular", 0);
    for (let i = 0; i < 20; i++) t.failed(LB, `random-${i}`, 1);
    // Two checks a second for names not seen to succeed, from this address.
    expect(t.throttled(LB, "new-1", 2)).toBeNull();
    expect(t.throttled(LB, "new-2", 2)).toBeNull();
    expect(t.throttled(LB, "new-3", 2)).toMatchObject({ reason: expect.stringContaining(LB) });
    expect(t.throttled(LB, "regular", 2)).toBeNull();
    expect(t.throttled("10.9.9.9", "new-3", 2)).toBeNull();
  });

  test("connect_rate closes CONNECTs over the per-address budget (bursts of twice the rate)", () => {
    const t = new LoginThrottle(10, 10_000, 2);
    const answers = Array.from({ length: 5 }, () => t.overRate(LB, 0));
    expect(answers.filter((a) => a === null).length).toBe(4);
    expect(answers[4]).toMatch(/More than 2 CONNECTs a second/);
    expect(t.overRate(LB, 500)).toBeNull();
    expect(new LoginThrottle(10, 10_000, 0).overRate(LB, 0)).toBeNull();
  });
});
