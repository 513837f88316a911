import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Bus, type BusSubscription, leaveDeliveries } from "../src/nats/bus.ts";
import { shareDeliverSubject } from "../src/nats/names.ts";
import { SharedSubscriptions } from "../src/delivery/shared_subscriptions.ts";
import type { Grant } from "../src/mqtt/session.ts";
import { startNats, testBus, type TestNats } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/wait.ts";

// Leaving a JetStream consumer's deliver subject: what NATS was sending as the subscription
// left must reach its handler (which hands it back), not be dropped by the client library,
// or JetStream holds it until ack_wait (30 s) before anyone else gets it.

const N = 200;

let nats: TestNats;
let nc: NatsConnection;
let bus: Bus;
beforeAll(async () => {
  nats = await startNats();
  nc = await nats.client();
  bus = testBus(nc);
});
afterAll(async () => {
  await nc.close();
  await nats[Symbol.asyncDispose]();
});

/**
 * Publishes N messages to `subject` on the subscriber's own connection, so NATS has them all
 * before the UNSUB that `leave` sends right after, and is sending them as it goes.
 */
function sendThenLeave(subject: string, leave: () => void, reply?: (i: number) => string) {
  for (let i = 0; i < N; i++) {
    nc.publish(subject, new Uint8Array(64), reply ? { reply: reply(i) } : undefined);
  }
  leave();
}

describe("leaving deliveries", () => {
  const kinds = [
    [
      "a light subscription (a session's consumer)",
      "deliver.light",
      (s: string, h: () => void) => bus.subscribe(s, h),
    ],
    [
      "a queue member (a shared group's consumer)",
      "deliver.queue",
      (s: string, h: () => void) => bus.queue(s, "grp", h, false),
    ],
  ] as const;
  for (const [kind, subject, make] of kinds) {
    test(`${kind}: what NATS sent before it saw the UNSUB still reaches the handler`, async () => {
      let got = 0;
      const sub: BusSubscription = make(subject, () => void got++);
      await nc.flush();
      sendThenLeave(subject, () => leaveDeliveries(sub));
      await waitFor(() => got >= N, { what: () => `${N} messages, got ${got}` });
      expect(got).toBe(N);
    });
  }

  test("a member leaving its shared group hands back (NAK) every group delivery on its way", async () => {
    const filter = "$share/g/left";
    const grant: Grant = {
      filter,
      qos: 1,
      subjects: ["left"],
      stored: false,
      share: { name: "g", filter: "left" },
    };
    const taken: string[] = [];
    const member = new SharedSubscriptions(bus, {
      sharedLive: () => {},
      sharedStored: (_g, m) => void taken.push(m.subject),
    });
    member.sync([grant]);
    await nc.flush();
    const answers: string[] = [];
    nc.subscribe("acks.>", { callback: (_e, m) => void answers.push(m.string()) });
    await nc.flush();
    sendThenLeave(shareDeliverSubject(filter, "left"), () => member.sync([]), (i) => `acks.${i}`);
    await waitFor(() => answers.length >= N, { what: () => `${N} answers, got ${answers.length}` });
    expect(taken).toEqual([]);
    expect(answers).toEqual(Array(N).fill("-NAK"));
  });
});
