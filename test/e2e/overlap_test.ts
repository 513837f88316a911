import { describe, expect, test } from "bun:test";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { IPublishPacket } from "mqtt-packet";
import { type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";
import { filterToSubjects } from "../../src/mqtt/topic_map.ts";
import { consumerName, MESSAGES_STREAM, sessionKey } from "../../src/nats/names.ts";

// [MQTT-3.3.5-1]: a message matching several subscriptions of one client goes to it once, at
// the highest QoS granted among them (capped by the message's own QoS), on every path.

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
useInstances(2, {}, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);
type Sub = { topic: string; qos: 0 | 1 | 2 };

/** A raw client subscribed to `subs` in one SUBSCRIBE; returns it with its SUBACK codes. */
async function subscriber(on: TestBroker, subs: Sub[], clientId = `ov-${uid()}`, clean = true) {
  const raw = await RawClient.open(on.port);
  await raw.connect({ clientId, clean });
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: subs });
  const suback = await raw.next("suback");
  return { raw, suback };
}

/** Every PUBLISH of `payload` the client got so far, as [qos, retain]. */
const copies = (raw: RawClient, payload: string) =>
  (raw.all("publish") as IPublishPacket[])
    .filter((p) => p.payload.toString() === payload)
    .map((p) => [p.qos, p.retain]);

/** Waits for the PUBLISH of `payload`, then a ping round trip: what was written has arrived. */
async function settle(raw: RawClient, payload: string): Promise<void> {
  await waitFor(() => copies(raw, payload).length > 0, { what: `the PUBLISH of "${payload}"` });
  raw.send({ cmd: "pingreq" });
  await raw.next("pingresp");
}

/** Acknowledges every QoS 1/2 PUBLISH received so far (PUBACK, or PUBREC and later PUBCOMP). */
function ackAll(raw: RawClient): void {
  for (const p of raw.all("publish") as IPublishPacket[]) {
    if (p.qos === 1) raw.send({ cmd: "puback", messageId: p.messageId });
    if (p.qos === 2) raw.send({ cmd: "pubrec", messageId: p.messageId });
  }
}

describe("overlapping subscriptions: one copy at the highest QoS [MQTT-3.3.5-1]", () => {
  for (const order of ["wide first", "narrow first"] as const) {
    test(`live on one instance, ${order}: x/# at 1 and x/+ at 0 get QoS 1 once`, async () => {
      const p = `ov${uid()}`;
      const subs: Sub[] = [{ topic: `${p}/#`, qos: 1 }, { topic: `${p}/+`, qos: 0 }];
      const { raw } = await subscriber(a, order === "wide first" ? subs : subs.reverse());
      await using _ = raw;
      await using pub = await mqttjs(a.url);
      await pub.client.publishAsync(`${p}/a`, "m1", { qos: 1 });
      await pub.client.publishAsync(`${p}/a`, "end", { qos: 0 });
      await settle(raw, "end");
      expect(copies(raw, "m1")).toEqual([[1, false]]);
    });
  }

  test("through NATS from another instance: a QoS 2 message to x/+ at 2 and x/# at 1 comes once at 2", async () => {
    const p = `ov${uid()}`;
    const { raw } = await subscriber(a, [{ topic: `${p}/#`, qos: 1 }, { topic: `${p}/+`, qos: 2 }]);
    await using _ = raw;
    await using pub = await mqttjs(b.url);
    await pub.client.publishAsync(`${p}/a`, "m2", { qos: 2 });
    await pub.client.publishAsync(`${p}/b`, "m1", { qos: 1 });
    await pub.client.publishAsync(`${p}/a`, "end", { qos: 0 });
    await settle(raw, "end");
    expect(copies(raw, "m2")).toEqual([[2, false]]);
    expect(copies(raw, "m1")).toEqual([[1, false]]);
  });

  test("the message's own QoS caps it: QoS 0 to x/# at 2 and x/+ at 1 comes once at 0", async () => {
    const p = `ov${uid()}`;
    const { raw } = await subscriber(a, [{ topic: `${p}/#`, qos: 2 }, { topic: `${p}/+`, qos: 1 }]);
    await using _ = raw;
    await using pub = await mqttjs(b.url);
    await pub.client.publishAsync(`${p}/a`, "m0", { qos: 0 });
    await pub.client.publishAsync(`${p}/a`, "end", { qos: 1 });
    await settle(raw, "end");
    expect(copies(raw, "m0")).toEqual([[0, false]]);
  });

  test("NATS publishes: plain ones once at QoS 0, one tagged Nmqtt-Pub 1 once at QoS 1", async () => {
    const p = `ov${uid()}`;
    const { raw } = await subscriber(a, [{ topic: `${p}/+`, qos: 0 }, { topic: `${p}/#`, qos: 1 }]);
    await using _ = raw;
    const nc = await nats.client();
    const h = headers();
    h.set("Nmqtt-Pub", "1");
    nc.publish(`${p}.a`, "plain");
    nc.publish(`${p}.a`, "tagged", { headers: h });
    nc.publish(`${p}.a`, "end");
    await settle(raw, "end");
    expect(copies(raw, "plain")).toEqual([[0, false]]);
    expect(copies(raw, "tagged")).toEqual([[1, false]]);
  });

  test("retained on SUBSCRIBE: one copy at the highest QoS of the new filters", async () => {
    const p = `ov${uid()}`;
    await using pub = await mqttjs(b.url);
    await pub.client.publishAsync(`${p}/a`, "kept", { qos: 1, retain: true });
    const { raw, suback } = await subscriber(a, [
      { topic: `${p}/+`, qos: 0 },
      { topic: `${p}/#`, qos: 1 },
      { topic: `${p}/a`, qos: 0 },
    ]);
    await using _ = raw;
    expect(suback).toMatchObject({ granted: [0, 1, 0] });
    // Live messages wait until the retained ones are out: this one comes after them all.
    await pub.client.publishAsync(`${p}/a`, "end", { qos: 0 });
    await settle(raw, "end");
    expect(copies(raw, "kept")).toEqual([[1, true]]);
  });

  for (const [wide, narrow, expected] of [[2, 1, 2], [1, 2, 2], [1, 0, 1]] as const) {
    test(`a persistent session's consumers: x/# at ${wide} and x/+ at ${narrow} get QoS 2 once at ${expected}`, async () => {
      const p = `ov${uid()}`;
      const clientId = `ovp-${uid()}`;
      const subs: Sub[] = [{ topic: `${p}/#`, qos: wide }, { topic: `${p}/+`, qos: narrow }];
      const { raw } = await subscriber(a, subs, clientId, false);
      await using _ = raw;
      await using pub = await mqttjs(b.url);
      await pub.client.publishAsync(`${p}/a`, "m2", { qos: 2 });
      await pub.client.publishAsync(`${p}/a`, "end", { qos: 2 });
      await waitFor(() => copies(raw, "end").length > 0, { what: "the last message" });
      ackAll(raw);
      // Every copy the consumers hold is decided (delivered and acknowledged, or skipped):
      // whatever would have gone to the client has been written before the ping's answer.
      await consumersSettled(await nats.client(), clientId, subs);
      raw.send({ cmd: "pingreq" });
      await raw.next("pingresp");
      expect(copies(raw, "m2")).toEqual([[expected, false]]);
    });
  }

  test("a persistent session resumed on another instance still gets one copy at the highest QoS", async () => {
    const p = `ov${uid()}`;
    const clientId = `ovr-${uid()}`;
    const subs: Sub[] = [{ topic: `${p}/#`, qos: 1 }, { topic: `${p}/+`, qos: 2 }];
    const { raw: first } = await subscriber(a, subs, clientId, false);
    first.close();
    await first.waitClosed();
    await using pub = await mqttjs(b.url);
    await pub.client.publishAsync(`${p}/a`, "queued", { qos: 2 });
    await using again = await RawClient.open(b.port);
    expect(await again.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    await pub.client.publishAsync(`${p}/a`, "live", { qos: 2 });
    await waitFor(() => copies(again, "live").length > 0, { what: "the live message" });
    ackAll(again);
    await consumersSettled(await nats.client(), clientId, subs);
    again.send({ cmd: "pingreq" });
    await again.next("pingresp");
    expect(copies(again, "queued")).toEqual([[2, false]]);
    expect(copies(again, "live")).toEqual([[2, false]]);
  });
});

/** Waits until none of the session's consumers holds a message undelivered or unacknowledged. */
async function consumersSettled(nc: NatsConnection, clientId: string, subs: Sub[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const key = sessionKey(clientId);
  const names = subs.filter((s) => s.qos > 0).flatMap((s) => {
    const subjects = filterToSubjects(s.topic);
    return Array.isArray(subjects) ? subjects.map((subject) => consumerName(key, subject)) : [];
  });
  await waitFor(async () => {
    for (const name of names) {
      const info = await jsm.consumers.info(MESSAGES_STREAM, name);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  }, { what: "the session's consumers to settle" });
}
