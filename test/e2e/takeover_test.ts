import { describe, expect, test } from "bun:test";
import { type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { waitFor } from "../helpers/wait.ts";

let a: TestBroker;
let b: TestBroker;
useInstances(2, {}, (_nats, [first, second]) => {
  a = first as TestBroker;
  b = second as TestBroker;
});

describe("client id takeover", () => {
  test("a second connection with the same client id on one instance closes the first [MQTT-3.1.4-2]", async () => {
    const clientId = `same-${crypto.randomUUID().slice(0, 6)}`;
    await using first = await mqttjs(a.url, { clientId });
    let closed = false;
    first.client.on("close", () => (closed = true));
    await using second = await mqttjs(a.url, { clientId });
    await waitFor(() => closed, { what: "the first connection to close" });
    await a.logged(
      "client.closed",
      (r) => r.clientId === clientId && String(r.reason).includes("taken over"),
    );
    await second.client.subscribeAsync("takeover/one");
    await using pub = await mqttjs(a.url);
    await pub.client.publishAsync("takeover/one", "to the new one");
    expect((await second.waitMessages(1))[0]?.payload).toBe("to the new one");
  });

  test("a connection on another instance closes the first within a second [MQTT-3.1.4-2]", async () => {
    const clientId = `cross-${crypto.randomUUID().slice(0, 6)}`;
    await using onA = await mqttjs(a.url, { clientId, clean: false });
    await onA.client.subscribeAsync("takeover/cross");
    let closedAt = 0;
    onA.client.on("close", () => (closedAt ||= Date.now()));
    const start = Date.now();
    await using onB = await mqttjs(b.url, { clientId, clean: false });
    expect(onB.connack.sessionPresent).toBe(true);
    await waitFor(() => closedAt > 0, {
      timeoutMs: 1000,
      what: "the connection on instance A to close",
    });
    expect(closedAt - start).toBeLessThan(1000);
    // The session moved with its subscription: a publish on A reaches the client on B.
    await using pub = await mqttjs(a.url);
    await waitFor(async () => (await b.varz()).nats_subscriptions > 0, {
      what: "the restored subscription on B",
    });
    await pub.client.publishAsync("takeover/cross", "follows the session");
    expect((await onB.waitMessages(1))[0]?.payload).toBe("follows the session");
  });

  test("the closed connection of a taken-over clean session does not delete the new owner's session", async () => {
    const clientId = `keep-${crypto.randomUUID().slice(0, 6)}`;
    await using onA = await mqttjs(a.url, { clientId, clean: true });
    let closed = false;
    onA.client.on("close", () => (closed = true));
    await using onB = await mqttjs(b.url, { clientId, clean: false });
    await waitFor(() => closed, { what: "the old connection to close" });
    await onB.client.subscribeAsync("keep/x");
    await onB.client.endAsync();
    await using again = await mqttjs(a.url, { clientId, clean: false });
    expect(again.connack.sessionPresent).toBe(true);
  });
});
