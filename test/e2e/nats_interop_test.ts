import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";
import { MAPPING_TABLE } from "../fixtures/mapping_table.ts";

let nats: TestNats;
let broker: TestBroker;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url);
  nc = await nats.client();
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
});

describe("NATS interop", () => {
  for (const [topic, subject] of MAPPING_TABLE) {
    test(`MQTT publish on "${topic}" reaches a NATS subscriber of "${subject}" with Nmqtt-Pub`, async () => {
      const got: Array<{ subject: string; data: string; qos: string | undefined }> = [];
      const sub = nc.subscribe(subject, {
        callback: (_e, m) =>
          void got.push({ subject: m.subject, data: m.string(), qos: m.headers?.get("Nmqtt-Pub") }),
      });
      await nc.flush();
      await using c = await mqttjs(broker.url);
      await c.client.publishAsync(topic, "from mqtt");
      await waitFor(() => got.length === 1, { what: `a NATS message on ${subject}` });
      expect(got[0]).toEqual({ subject, data: "from mqtt", qos: "0" });
      sub.unsubscribe();
    });

    test(`NATS publish on "${subject}" reaches an MQTT subscriber of "${topic}" as QoS 0`, async () => {
      await using c = await mqttjs(broker.url);
      await c.client.subscribeAsync(topic, { qos: 1 });
      nc.publish(subject, "from nats");
      const [m] = await c.waitMessages(1);
      expect(m).toEqual({ topic, payload: "from nats", qos: 0, retain: false });
    });
  }

  test("NATS wildcard subscribers see MQTT traffic: + is * and # is >", async () => {
    const got: string[] = [];
    const sub = nc.subscribe("fleet.*.temp", { callback: (_e, m) => void got.push(m.subject) });
    const all = nc.subscribe("fleet.>", { callback: (_e, m) => void got.push(`>${m.subject}`) });
    await nc.flush();
    await using c = await mqttjs(broker.url);
    await c.client.publishAsync("fleet/d1/temp", "1");
    await c.client.publishAsync("fleet/d1/hum", "2");
    await waitFor(() => got.length === 3, { what: "three NATS deliveries" });
    expect(got.sort()).toEqual([">fleet.d1.hum", ">fleet.d1.temp", "fleet.d1.temp"]);
    sub.unsubscribe();
    all.unsubscribe();
  });

  test("a NATS service answers an MQTT device, and NATS commands reach it on foo/# with the parent level", async () => {
    const service = nc.subscribe("devices.*.hello", {
      callback: (_e, m) => nc.publish(m.subject.replace("hello", "cmd"), `welcome ${m.string()}`),
    });
    await nc.flush();
    await using dev = await mqttjs(broker.url);
    await dev.client.subscribeAsync("devices/d7/cmd/#");
    await dev.client.publishAsync("devices/d7/hello", "d7");
    nc.publish("devices.d7.cmd.reboot", "now");
    const got = await dev.waitMessages(2);
    expect(got.map((m) => [m.topic, m.payload]).sort()).toEqual([
      ["devices/d7/cmd", "welcome d7"],
      ["devices/d7/cmd/reboot", "now"],
    ]);
    service.unsubscribe();
  });

  test("NATS publishes on jetmq's internal subjects never reach a # subscriber", async () => {
    await using c = await mqttjs(broker.url);
    await c.client.subscribeAsync("#");
    nc.publish("$JETMQ.msgs.x", "internal");
    nc.publish("visible", "ok");
    const got = await c.waitMessages(1);
    expect(got.map((m) => m.topic)).toEqual(["visible"]);
  });
});
