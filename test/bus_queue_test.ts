import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { Bus } from "../src/nats/bus.ts";
import { StorePipeline } from "../src/nats/store_pipeline.ts";
import { createLogger } from "../src/log.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/wait.ts";

let nats: TestNats;
let nc: NatsConnection;
let bus: Bus;
beforeAll(async () => {
  nats = await startNats();
  nc = await nats.client();
  bus = new Bus(nc, new StorePipeline(nc, 5000, { retryForMs: 0, log: createLogger("silent") }));
});
afterAll(async () => {
  await nc.close();
  await nats[Symbol.asyncDispose]();
});

describe("queue members on a consumer's deliver subject", () => {
  test("leaving hands on what NATS sent before it saw the UNSUB (else it waits out ack_wait)", async () => {
    const got: string[] = [];
    const member = bus.queue("deliver.left", "grp", (m) => got.push(m.subject), false);
    await nc.flush();
    const N = 200;
    // On the member's own connection: NATS gets them all before the UNSUB, and sends them on
    // as the member leaves.
    for (let i = 0; i < N; i++) nc.publish("deliver.left", new Uint8Array(64));
    member.unsubscribe();
    await waitFor(() => got.length >= N, { what: () => `${N} messages, got ${got.length}` });
    expect(got).toEqual(Array(N).fill("deliver.left"));
  });
});
