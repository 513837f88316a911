import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { deleteDurable, ensureDurable } from "../src/nats/durables.ts";
import { MESSAGES_STREAM } from "../src/nats/names.ts";
import { provisionStore } from "../src/nats/provision.ts";
import { createLogger } from "../src/log.ts";
import type { LogRecord } from "./helpers/broker.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";

let nats: TestNats;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNats();
  nc = await nats.client();
  await provisionStore(nc, { replicas: 1, apiTimeoutMs: 5000, log: createLogger("silent") });
});
afterAll(async () => {
  await nc.close();
  await nats[Symbol.asyncDispose]();
});

/** Runs `call` while nats-server is paused (SIGSTOP) for `ms`, longer than the API timeout. */
async function duringPause<T>(ms: number, call: () => Promise<T>): Promise<T> {
  process.kill(nats.pid, "SIGSTOP");
  let pending: Promise<T>;
  try {
    pending = call();
    await Bun.sleep(ms);
  } finally {
    process.kill(nats.pid, "SIGCONT");
  }
  return await pending;
}

describe("durable consumers through a JetStream that does not answer", () => {
  test("made once JetStream answers again (asked again), and removed the same way", async () => {
    const jsm = await jetstreamManager(nc, { timeout: 300 });
    const logs: LogRecord[] = [];
    const retry = {
      forMs: 10_000,
      log: createLogger("debug", (line) => logs.push(JSON.parse(line) as LogRecord)),
    };
    const durable = { name: "d-paused", deliverSubject: "dlv.paused", subject: "paused.x" };
    const limits = { ackWaitMs: 30_000, maxAckPending: 100 };
    await duringPause(1000, () => ensureDurable(jsm, durable, limits, retry));
    const info = await jsm.consumers.info(MESSAGES_STREAM, "d-paused");
    expect(info.config.deliver_subject).toBe("dlv.paused");
    expect(logs.map((r) => [r.event, r.what])).toEqual([["store.retrying", "consumer d-paused"]]);

    await duringPause(1000, () => deleteDurable(jsm, "d-paused", retry));
    expect(await jsm.consumers.info(MESSAGES_STREAM, "d-paused").catch(() => null)).toBeNull();
    expect(logs.at(-1)).toMatchObject({
      event: "store.retrying",
      what: "consumer d-paused removal",
    });
  });
});
