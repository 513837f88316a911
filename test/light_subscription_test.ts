import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { LightSubscription } from "../src/nats/light_subscription.ts";
import { protocolOf } from "../src/nats/protocol_internals.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/wait.ts";

let nats: TestNats;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

/** A light subscription on `subject`, recording what it hands on. */
function light(nc: NatsConnection, subject: string) {
  const protocol = protocolOf(nc);
  if (!protocol) throw new Error("this nats.js does not allow light subscriptions");
  const got: string[] = [];
  const sub = new LightSubscription(subject, protocol, (through: string, msg: Msg) => {
    got.push(`${through} ${msg.subject} ${msg.string()}`);
  }, subject);
  protocol.subscribe(sub);
  return { sub, got };
}

describe("light NATS subscriptions", () => {
  test("the installed nats.js lets them be made (else each subject costs ~1 kB more)", async () => {
    const nc = await nats.client();
    expect(protocolOf(nc)).not.toBeNull();
  });

  test("get messages with the subject they were subscribed on, and stop at unsubscribe", async () => {
    const nc = await nats.client();
    const other = await nats.client();
    const { sub, got } = light(nc, "light.*.x");
    const control: string[] = [];
    nc.subscribe("light.>", { callback: (_e, m) => void control.push(m.string()) });
    await nc.flush();
    other.publish("light.a.x", "one");
    await waitFor(() => got.length === 1);
    expect(got).toEqual(["light.*.x light.a.x one"]);
    sub.unsubscribe();
    expect(sub.isClosed()).toBe(true);
    await nc.flush();
    other.publish("light.b.x", "two");
    // The control subscription, on the same connection, has the message: so would the light one.
    await waitFor(() => control.length === 2);
    expect(got).toHaveLength(1);
  });

  test("are made again on the server after a reconnect", async () => {
    const nc = await nats.client();
    const { got } = light(nc, "light.again");
    await nc.flush();
    await nats.restart();
    const other = await nats.client();
    // Published until the reconnected subscription is in place on the new server.
    await waitFor(() => {
      other.publish("light.again", "back");
      return got.length > 0;
    }, { timeoutMs: 10_000, what: "the subscription back after the restart" });
    expect(got[0]).toBe("light.again light.again back");
  });

  test("let the connection drain", async () => {
    const nc = await nats.client();
    const { sub } = light(nc, "light.drain");
    await nc.flush();
    await nc.drain();
    expect(nc.isClosed()).toBe(true);
    expect(sub.isClosed()).toBe(true);
  });
});
