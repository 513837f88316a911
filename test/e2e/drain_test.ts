import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kvm } from "@nats-io/kv";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";

// A drain for a rolling deploy: the instance stops being ready, stops accepting, sends its
// clients away; their wills wait for will_grace, and fire only for clients that do not return.

const GRACE_MS = 2000;
let nats: TestNats;
let draining: TestBroker;
let other: TestBroker;
let watcher: TestClient;

beforeAll(async () => {
  nats = await startNats();
  const options = { will_grace: `${GRACE_MS}ms`, drain_notice: "300ms", drain_rate: 50 };
  draining = await startTestBroker(nats.url, options);
  other = await startTestBroker(nats.url, options);
  watcher = await mqttjs(other.url);
  await watcher.client.subscribeAsync("drain/will/#", { qos: 1 });
});
afterAll(async () => {
  await watcher[Symbol.asyncDispose]();
  await draining.stop();
  await other.stop();
  await nats.stop();
});

const will = (name: string) => ({
  will: { topic: `drain/will/${name}`, payload: Buffer.from(name), qos: 1 as const, retain: false },
});

describe("drain", () => {
  test("not ready, no new clients, clients sent away; only the wills of those who do not return fire", async () => {
    const back = await mqttjs(draining.url, {
      clientId: "drain-back",
      clean: false,
      ...will("back"),
    });
    const gone = await mqttjs(draining.url, { clientId: "drain-gone", ...will("gone") });
    let returned: TestClient | null = null;
    // "back" does what devices do: connect again a little later, to the instance the balancer
    // picks — well within the grace, but after the will would have fired without one.
    back.client.on("close", () => {
      setTimeout(() => {
        void mqttjs(other.url, { clientId: "drain-back", clean: false, ...will("back") }).then(
          (c) => (returned = c),
        );
      }, 500);
    });
    const drained = draining.drain();
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${draining.monitorPort}/readyz`);
      const body = (await res.json()) as { reason?: string };
      return res.status === 503 && body.reason?.startsWith("draining");
    }, { what: "/readyz to say draining" });
    await drained;
    expect((await draining.varz()).connections).toBe(0);
    await expect(mqttjs(draining.url, { connectTimeout: 1000 })).rejects.toBeDefined();
    await draining.logged("client.closed", (r) => String(r.reason).startsWith("Server draining"));
    await draining.stop(); // the instance is gone long before the wills are due
    await waitFor(() => returned?.client.connected, { what: "the client to come back" });

    // After the grace, "gone"'s will comes — once, from the instance still alive.
    const [first] = await watcher.waitMessages(1, 3 * GRACE_MS + 5000);
    expect(first).toMatchObject({ topic: "drain/will/gone", payload: "gone" });
    // Every waiting will has been dealt with: nothing more can come.
    const wills = await new Kvm(await nats.client()).open("jetmq_wills");
    await waitFor(async () => {
      const waiting = [];
      for await (const k of await wills.keys("delayed.>")) waiting.push(k);
      return waiting.length === 0;
    }, { what: "no will waiting any more" });
    await watcher.client.publishAsync("drain/will/sentinel", "end", { qos: 1 });
    await watcher.waitMessages(2);
    expect(watcher.received.map((m) => m.payload)).toEqual(["gone", "end"]);
    await other.logged("will.published", (r) => r.reason === "Will delay passed");
    await (returned as TestClient | null)?.[Symbol.asyncDispose]();
    await gone[Symbol.asyncDispose]();
    await back[Symbol.asyncDispose]();
  });

  test("POST /drain is taken from this machine only; /livez stays up while draining", async () => {
    await using b = await startTestBroker(nats.url, { drain_notice: "100ms" });
    const res = await fetch(`http://127.0.0.1:${b.monitorPort}/drain`, { method: "POST" });
    expect(res.status).toBe(202);
    await waitFor(async () =>
      (await fetch(`http://127.0.0.1:${b.monitorPort}/readyz`)).status === 503
    );
    expect((await fetch(`http://127.0.0.1:${b.monitorPort}/livez`)).status).toBe(200);
  });
});
