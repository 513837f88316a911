import { describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";
import { allTransports } from "./transports.ts";

let broker: TestBroker;
useInstances(1, allTransports(), (_n, [first]) => {
  broker = first as TestBroker;
});

const get = async (path: string, on = broker) => {
  const res = await fetch(`http://127.0.0.1:${on.monitorPort}${path}`);
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    text: await res.text(),
  };
};
const json = async (path: string) => JSON.parse((await get(path)).text);

describe("monitoring over HTTP", () => {
  test("/healthz is 200 while NATS and the store answer, 503 when NATS is gone, 200 again after", async () => {
    expect((await get("/healthz")).status).toBe(200);
    await using nats = await startNats();
    await using b = await startTestBroker(nats.url, { js_api_timeout: "500ms", ready_grace: "1s" });
    expect((await get("/healthz", b)).status).toBe(200);
    await nats.pause();
    await waitFor(async () => (await get("/healthz", b)).status === 503, {
      timeoutMs: 15_000,
      what: "unhealthy while NATS is down",
    });
    await nats.resume();
    await waitFor(async () => (await get("/healthz", b)).status === 200, {
      timeoutMs: 15_000,
      what: "healthy again after the NATS restart",
    });
  });

  test("/varz reports the instance, traffic and the NATS server", async () => {
    await using c = await mqttjs(`ws://127.0.0.1:${broker.wsPort}/mqtt`);
    await c.client.subscribeAsync("varz/x");
    await c.client.publishAsync("varz/x", "hello");
    await c.waitMessages(1);
    const v = await json("/varz");
    expect(v).toMatchObject({
      instance: broker.instanceId,
      version: "0.1.0",
      nats: { jetstream: true },
    });
    expect(v.connections).toBeGreaterThanOrEqual(1);
    expect(v.subscriptions).toBeGreaterThanOrEqual(1);
    expect(v.in_msgs).toBeGreaterThan(0);
    expect(v.out_msgs).toBeGreaterThan(0);
  });

  test("/connz lists connections with their details, finds one by client id, and pages", async () => {
    const id = `connz-${crypto.randomUUID().slice(0, 6)}`;
    await using c = await mqttjs(`mqtts://127.0.0.1:${broker.tlsPort}`, {
      clientId: id,
      keepalive: 42,
    });
    await c.client.subscribeAsync({ "connz/a": { qos: 1 }, "connz/b/#": { qos: 0 } });
    await using _others = await mqttjs(broker.url);
    const one = await json(`/connz?mqtt_client=${id}`);
    expect(one.total).toBe(1);
    expect(one.connections[0]).toMatchObject({
      mqtt_client: id,
      transport: "tls",
      keepalive: 42,
      clean_session: true,
      subscriptions: { "connz/a": 1, "connz/b/#": 0 },
      in_flight: 0,
    });
    expect(one.connections[0].remote).toMatch(/^127\.0\.0\.1:\d+$/);
    const page = await json("/connz?offset=1&limit=1");
    expect(page).toMatchObject({ offset: 1, limit: 1 });
    expect(page.connections).toHaveLength(1);
    expect(page.total).toBeGreaterThanOrEqual(2);
  });

  test("/subsz counts local clients per filter", async () => {
    await using a = await mqttjs(broker.url);
    await using b = await mqttjs(broker.url);
    await a.client.subscribeAsync("subsz/shared");
    await b.client.subscribeAsync("subsz/shared");
    const s = await json("/subsz");
    expect(s.filters).toContainEqual({ filter: "subsz/shared", clients: 2 });
  });

  test("/metrics is Prometheus text with no per-client labels", async () => {
    await using _c = await mqttjs(broker.url);
    const m = await get("/metrics");
    expect(m.type).toContain("text/plain");
    expect(m.text).toContain("# TYPE jetmq_connections gauge");
    expect(m.text).toMatch(/^jetmq_connections [1-9]\d*$/m);
    expect(m.text).toMatch(/^jetmq_messages_received_total \d+$/m);
    expect(m.text).not.toContain("{");
  });
});
