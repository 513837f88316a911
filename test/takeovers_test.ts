import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { takeoverSubject } from "../src/nats/names.ts";
import { decodeTakeover, Takeovers } from "../src/nats/takeovers.ts";
import { Registry } from "../src/front/registry.ts";
import { startNats, testBus, type TestNats } from "./helpers/nats_server.ts";

const WAIT_MS = 500;
const PATIENCE_MS = 1000;

let nats: TestNats;
let nc: NatsConnection;
let takeovers: Takeovers;
beforeAll(async () => {
  nats = await startNats();
  nc = await nats.client();
  takeovers = new Takeovers(testBus(nc), WAIT_MS, PATIENCE_MS);
});
afterAll(async () => {
  await nc.close();
  await nats[Symbol.asyncDispose]();
});

/** An instance that hears takeover notices on another connection, answering as `answer` says. */
async function holder(instance: string, answer: (n: number) => string | null) {
  const other = await nats.client();
  const notices: unknown[] = [];
  other.subscribe(takeoverSubject(instance), {
    callback: (_err, m) => {
      notices.push(decodeTakeover(m.data));
      const a = answer(notices.length);
      if (a !== null) m.respond(new TextEncoder().encode(a));
    },
  });
  await other.flush();
  return { other, notices };
}

describe("takeover notices", () => {
  test("an instance nobody listens for is gone at once", async () => {
    const started = Date.now();
    expect(await takeovers.notify("no-such-instance", "k", 2)).toBe("gone");
    expect(Date.now() - started).toBeLessThan(WAIT_MS);
  });

  test("an instance that answers late is asked again, and its answer counts (a busy drain is no crash)", async () => {
    const h = await holder("late", (n) => (n === 1 ? null : "drained"));
    expect(await takeovers.notify("late", "k", 2)).toBe("drained");
    expect(h.notices).toEqual([{ key: "k", generation: 2 }, { key: "k", generation: 2 }]);
    await h.other.close();
  });

  test("an instance that hears but never answers is taken for gone after the patience", async () => {
    const h = await holder("silent", () => null);
    const started = Date.now();
    expect(await takeovers.notify("silent", "k", 2)).toBe("gone");
    expect(Date.now() - started).toBeGreaterThanOrEqual(PATIENCE_MS);
    expect(h.notices.length).toBeGreaterThanOrEqual(2);
    await h.other.close();
  });
});

describe("registry", () => {
  const conn = (generation: number, sentAway: boolean) => {
    const c = {
      session: { key: "k", generation },
      sentAway,
      takenOver: () => void (c.closedAt = Date.now()),
      closedAt: 0,
    };
    return c;
  };

  test("a notice asked again gets the same answer: drained while the connection ends and after", () => {
    const registry = new Registry<ReturnType<typeof conn>>();
    const c = conn(1, true);
    registry.bind(c);
    expect(registry.takeover("k", 2)).toBe(true);
    expect(c.closedAt).toBeGreaterThan(0);
    expect(registry.takeover("k", 2)).toBe(true);
    registry.unbind(c);
    expect(registry.takeover("k", 2)).toBe(true);
    // A claim older than the connection sent away is no takeover of it.
    expect(registry.takeover("k", 1)).toBe(false);
  });

  test("a connection that was not sent away is released, the first time and again", () => {
    const registry = new Registry<ReturnType<typeof conn>>();
    const c = conn(1, false);
    registry.bind(c);
    expect(registry.takeover("k", 2)).toBe(false);
    expect(registry.takeover("k", 2)).toBe(false);
    expect(registry.size).toBe(0);
  });
});
