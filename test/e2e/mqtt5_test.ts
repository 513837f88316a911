import { describe, expect, test } from "bun:test";
import { connect as natsConnect } from "@nats-io/transport-node";
import type { IClientOptions } from "mqtt";
import * as mqttPacket from "mqtt-packet";
import { startTestBroker, type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";
import { encodePublishV5 } from "../../src/mqtt/v5_encode.ts";
import { encodeProperties } from "../../src/mqtt/v5_properties.ts";

// MQTT 5 with a real client (MQTT.js, protocolVersion 5), on two instances of one NATS.

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
const OPTIONS = { mqtt5: "true", topic_alias_maximum: 4, max_keepalive: 30 };
useInstances(2, OPTIONS, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);
const v5 = (
  broker: TestBroker,
  options: IClientOptions = {},
): Promise<TestClient> => mqttjs(broker.url, { protocolVersion: 5, ...options });

/** Resolves with the server's DISCONNECT (MQTT 5), or null when the socket closed without one. */
const serverDisconnect = (c: TestClient) =>
  new Promise<{ reasonCode?: number } | null>((resolve) => {
    c.client.once("disconnect", (p) => resolve(p));
    c.client.once("close", () => setTimeout(() => resolve(null), 50));
  });

describe("MQTT 5", () => {
  test("CONNACK says what jetmq offers, and assigns a client id to a client without one [MQTT-3.2.2-16]", async () => {
    await using c = await v5(a, { clientId: "" });
    expect(c.connack.reasonCode).toBe(0);
    const p = c.connack.properties ?? {};
    expect(p.assignedClientIdentifier).toMatch(/^jetmq-/);
    expect(p.maximumPacketSize).toBe(1024 * 1024);
    expect(p.topicAliasMaximum).toBe(4);
    expect(p.subscriptionIdentifiersAvailable).toBeUndefined(); // absent: available
    expect(p.sharedSubscriptionAvailable).toBeUndefined(); // absent: available
    // The id it was given is its session's: /connz knows it.
    expect(await a.connz(String(p.assignedClientIdentifier))).toHaveLength(1);
  });

  test("properties reach MQTT 5 subscribers on both instances unchanged, NATS as headers, 3.1.1 plain", async () => {
    const topic = `p5/${uid()}`;
    await using here = await v5(a);
    await using there = await v5(b);
    await using old = await mqttjs(b.url);
    for (const c of [here, there, old]) await c.client.subscribeAsync(topic, { qos: 1 });
    const nc = await natsConnect({ servers: nats.url });
    const fromNats: Array<Record<string, string>> = [];
    nc.subscribe(topic.replaceAll("/", "."), {
      callback: (_e, m) => {
        const h: Record<string, string> = {};
        for (const [k, v] of m.headers ?? []) h[k] = v.join(",");
        fromNats.push(h);
      },
    });
    await nc.flush();
    await using pub = await v5(a);
    const properties = {
      contentType: "application/json",
      responseTopic: `replies/${uid()}`,
      correlationData: Buffer.from([0, 1, 254, 255]),
      payloadFormatIndicator: true,
      userProperties: { zeta: ["1", "2"], alpha: "x" },
    };
    await pub.client.publishAsync(topic, "{}", { qos: 1, properties });
    for (const c of [here, there]) {
      const [m] = await c.waitMessages(1);
      expect(m?.properties).toEqual({
        ...properties,
        // MQTT.js decodes user properties into an object: the names in the order they came.
        userProperties: { zeta: ["1", "2"], alpha: "x" },
      });
      expect(Object.keys(m?.properties?.userProperties as object)).toEqual(["zeta", "alpha"]);
    }
    expect((await old.waitMessages(1))[0]).toMatchObject({ payload: "{}", qos: 1 });
    expect(old.received[0]?.properties).toBeUndefined();
    await waitFor(() => fromNats.length > 0, { what: "the NATS subscriber" });
    expect(fromNats[0]).toMatchObject({
      "Nmqtt-Pub": "1",
      "Mqtt-Content-Type": "application/json",
      "Mqtt-Response-Topic": properties.responseTopic,
      "Mqtt-Correlation-Data": Buffer.from([0, 1, 254, 255]).toString("base64"),
      zeta: "1,2",
      alpha: "x",
    });
    await nc.close();
  });

  test("a retained message keeps its properties for new subscribers, exact and wildcard, on either instance", async () => {
    const base = `rp5/${uid()}`;
    const topic = `${base}/kitchen`;
    const properties = {
      contentType: "text/plain",
      userProperties: { zeta: ["1", "2"], alpha: "x" },
    };
    {
      await using pub = await v5(a);
      await pub.client.publishAsync(topic, "21.5", { qos: 1, retain: true, properties });
    }
    // An exact filter is one read of the stream; a wildcard one is answered by each instance's copy.
    for (
      const [broker, filter] of [[a, topic], [b, topic], [a, `${base}/+`], [
        b,
        `${base}/#`,
      ]] as const
    ) {
      await using sub = await v5(broker);
      await sub.client.subscribeAsync(filter, { qos: 1 });
      const [m] = await sub.waitMessages(1);
      expect(m).toMatchObject({ topic, payload: "21.5", retain: true, qos: 1 });
      expect(m?.properties?.contentType).toBe("text/plain");
      expect(m?.properties?.userProperties).toEqual({ zeta: ["1", "2"], alpha: "x" });
    }
    // An MQTT 3.1.1 subscriber gets the message without them.
    await using old = await mqttjs(b.url);
    await old.client.subscribeAsync(topic, { qos: 1 });
    const [m] = await old.waitMessages(1);
    expect(m).toMatchObject({ topic, payload: "21.5", retain: true });
    expect(m?.properties).toBeUndefined();
    // A topic without a retained message answers nothing, and the subscription works on.
    await using empty = await v5(a);
    await empty.client.subscribeAsync(`${base}/none`, { qos: 1 });
    {
      await using pub = await v5(b);
      await pub.client.publishAsync(`${base}/none`, "live", { qos: 1 });
    }
    expect((await empty.waitMessages(1)).map((x) => [x.payload, x.retain])).toEqual([[
      "live",
      false,
    ]]);
  });

  test("a NATS request reaches an MQTT 5 device with a Response Topic that gets its answer back", async () => {
    const topic = `rpc/${uid()}`;
    await using device = await v5(b);
    await device.client.subscribeAsync(topic, { qos: 0 });
    device.client.on("message", (_t, payload, packet) => {
      const reply = packet.properties?.responseTopic;
      if (reply) device.client.publish(reply, `pong:${payload}`);
    });
    const nc = await natsConnect({ servers: nats.url });
    const headers = (await import("@nats-io/transport-node")).headers();
    headers.set("trace", "abc");
    const answer = await nc.request(topic.replaceAll("/", "."), "ping", { timeout: 3000, headers });
    expect(answer.string()).toBe("pong:ping");
    await nc.close();
  });

  test("topic aliases: set, then used without the topic; 0 or over the maximum gets DISCONNECT 0x94", async () => {
    const topic = `alias/${uid()}`;
    await using sub = await v5(a);
    await sub.client.subscribeAsync(topic);
    await using pub = await v5(a);
    await pub.client.publishAsync(topic, "set", { properties: { topicAlias: 2 } });
    await pub.client.publishAsync("", "used", { properties: { topicAlias: 2 } });
    expect((await sub.waitMessages(2)).map((m) => [m.topic, m.payload])).toEqual([
      [topic, "set"],
      [topic, "used"],
    ]);
    // MQTT.js will not send a wrong alias: the bytes go on its socket directly.
    for (const alias of [0, 5]) {
      await using bad = await v5(a);
      const said = serverDisconnect(bad);
      const props = encodeProperties({ topicAlias: alias });
      const t = new TextEncoder().encode(topic);
      bad.client.stream.write(encodePublishV5(t, new Uint8Array(1), 0, false, props));
      expect(await said).toMatchObject({ reasonCode: 0x94 });
    }
    await a.logged("client.protocol_error", (r) => String(r.reason).includes("Topic Alias 5"));
  });

  test("message expiry: an expired message is not sent, a live one comes with what is left [MQTT-3.3.2-5] [MQTT-3.3.2-6]", async () => {
    const clientId = `exp-${uid()}`;
    const topic = `exp/${uid()}`;
    {
      await using c = await v5(a, {
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      await c.client.subscribeAsync(topic, { qos: 1 });
    }
    await using pub = await v5(b);
    await pub.client.publishAsync(topic, "short", {
      qos: 1,
      properties: { messageExpiryInterval: 1 },
    });
    await pub.client.publishAsync(topic, "long", {
      qos: 1,
      properties: { messageExpiryInterval: 60 },
    });
    await Bun.sleep(2100);
    await using back = await v5(b, {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(back.connack.sessionPresent).toBe(true);
    const [m] = await back.waitMessages(1);
    expect(m?.payload).toBe("long");
    const left = Number(m?.properties?.messageExpiryInterval);
    expect(left).toBeGreaterThan(50);
    expect(left).toBeLessThan(60);
    await Bun.sleep(300);
    expect(back.received.map((r) => r.payload)).toEqual(["long"]);
  });

  test("session expiry: kept for its interval, then removed by any instance, even with the one it ended on gone", async () => {
    const clientId = `sei-${uid()}`;
    const topic = `sei/${uid()}`;
    const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 2 } };
    {
      await using c = await v5(a, opts);
      await c.client.subscribeAsync(topic, { qos: 1 });
    }
    {
      await using again = await v5(b, opts);
      expect(again.connack.sessionPresent).toBe(true);
    }
    // Whichever instance's timer wins removes it, once, when its time comes.
    const expired = (r: { event: string; clientId?: unknown }) =>
      r.event === "session.expired" && r.clientId === clientId;
    await waitFor(() => [...a.logs, ...b.logs].some(expired), {
      timeoutMs: 6000,
      what: "the session to expire",
    });
    expect([...a.logs, ...b.logs].filter(expired)).toHaveLength(1);
    await using late = await v5(a, opts);
    expect(late.connack.sessionPresent).toBe(false);
  });

  test("Clean Start 1 with an expiry discards the old session but keeps the new one", async () => {
    const clientId = `cs-${uid()}`;
    const keep = { clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
    {
      await using c = await v5(a, keep);
      await c.client.subscribeAsync(`cs/${uid()}`, { qos: 1 });
    }
    {
      await using fresh = await v5(b, { ...keep, clean: true });
      expect(fresh.connack.sessionPresent).toBe(false);
    }
    await using back = await v5(a, keep);
    expect(back.connack.sessionPresent).toBe(true);
  });

  test("SUBACK and UNSUBACK reasons: 0x8F invalid (a malformed share too), 0x11 no subscription existed", async () => {
    await using c = await v5(a);
    const acks: Array<{ cmd: string; codes: unknown }> = [];
    c.client.on("packetreceive", (p) => {
      if (p.cmd === "suback" || p.cmd === "unsuback") acks.push({ cmd: p.cmd, codes: p.granted });
    });
    // MQTT.js rejects a SUBACK with refusals: what came on the wire is what counts here.
    await c.client.subscribeAsync({
      "ok/+": { qos: 1 },
      "bad/a.b": { qos: 0 },
      "$share/g/": { qos: 0 }, // no filter after the ShareName
    }).catch(() => {});
    await c.client.unsubscribeAsync(["ok/+", "never/subscribed"]).catch(() => {});
    await waitFor(() => acks.length === 2, { what: "SUBACK and UNSUBACK" });
    expect(acks).toEqual([
      { cmd: "suback", codes: [1, 0x8f, 0x8f] },
      { cmd: "unsuback", codes: [0, 0x11] },
    ]);
  });

  test("No Local: a client does not get its own messages back; others do [MQTT-3.8.3-3]", async () => {
    const topic = `nl/${uid()}`;
    await using self = await v5(a);
    await self.client.subscribeAsync(topic, { qos: 1, nl: true });
    await using other = await v5(b);
    await other.client.subscribeAsync(topic, { qos: 1 });
    await self.client.publishAsync(topic, "mine", { qos: 1 });
    await using third = await v5(b);
    await third.client.publishAsync(topic, "theirs", { qos: 1 });
    expect((await other.waitMessages(2)).map((m) => m.payload).sort()).toEqual(["mine", "theirs"]);
    expect((await self.waitMessages(1)).map((m) => m.payload)).toEqual(["theirs"]);
    await Bun.sleep(200);
    expect(self.received).toHaveLength(1);
  });

  test("Retain Handling 2 sends no retained message; Retain As Published keeps RETAIN on live ones", async () => {
    const topic = `rh/${uid()}`;
    await using pub = await v5(a);
    await pub.client.publishAsync(topic, "stored", { qos: 1, retain: true });
    await using none = await v5(b);
    await none.client.subscribeAsync(topic, { qos: 1, rh: 2 });
    await using asPublished = await v5(b);
    await asPublished.client.subscribeAsync(topic, { qos: 1, rh: 0, rap: true });
    expect((await asPublished.waitMessages(1))[0]).toMatchObject({
      payload: "stored",
      retain: true,
    });
    await pub.client.publishAsync(topic, "live", { qos: 1, retain: true });
    expect((await asPublished.waitMessages(2))[1]).toMatchObject({ payload: "live", retain: true });
    expect((await none.waitMessages(1)).map((m) => [m.payload, m.retain])).toEqual([[
      "live",
      false,
    ]]);
  });

  test("takeover: the old connection hears DISCONNECT 0x8E [MQTT-3.1.4-3]", async () => {
    const clientId = `to-${uid()}`;
    await using first = await v5(a, { clientId });
    const said = serverDisconnect(first);
    await using second = await v5(b, { clientId });
    expect(await said).toMatchObject({ reasonCode: 0x8e });
    expect(second.client.connected).toBe(true);
  });

  test("DISCONNECT 0x04 publishes the will; a Will Delay Interval waits, and a return in time cancels it", async () => {
    const topic = `w5/${uid()}`;
    await using watcher = await v5(b);
    await watcher.client.subscribeAsync(`${topic}/#`, { qos: 1 });
    const will = (name: string, delay?: number) => ({
      topic: `${topic}/${name}`,
      payload: Buffer.from(name),
      qos: 1 as const,
      retain: false,
      ...(delay ? { properties: { willDelayInterval: delay } } : {}),
    });
    const withWill = await v5(a, { will: will("asked") });
    await withWill.client.endAsync(false, { reasonCode: 0x04 });
    expect((await watcher.waitMessages(1))[0]?.topic).toBe(`${topic}/asked`);

    const clientId = `delay-${uid()}`;
    const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 30 } };
    const back = await v5(a, { ...opts, will: will("back", 2) });
    back.client.stream.destroy(); // no DISCONNECT: the will waits 2 s
    await Bun.sleep(500);
    await using returned = await v5(b, opts); // back in time: no will
    const late = await v5(a, { will: will("late", 1) });
    late.client.stream.destroy();
    const [, second] = await watcher.waitMessages(2, 6000);
    expect(second?.topic).toBe(`${topic}/late`);
    await Bun.sleep(2000);
    expect(watcher.received.map((m) => m.topic)).toEqual([`${topic}/asked`, `${topic}/late`]);
    expect(returned.client.connected).toBe(true);
  });

  test("a client's Receive Maximum bounds the QoS 1 messages it has unacknowledged [MQTT-3.3.4-9]", async () => {
    const topic = `rm/${uid()}`;
    await using slow = await v5(a, { properties: { receiveMaximum: 2 } });
    // PUBLISHes counted on the wire; PUBACKs held back (MQTT.js acknowledges when handleMessage
    // calls back, and handles the next packet only then).
    let onWire = 0;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on("packet", (p) => p.cmd === "publish" && onWire++);
    slow.client.stream.on("data", (chunk: Buffer) => parser.parse(chunk));
    const acks: Array<() => void> = [];
    slow.client.handleMessage = (_packet, done) => void acks.push(() => done());
    await slow.client.subscribeAsync(topic, { qos: 1 });
    await using pub = await v5(b);
    for (let i = 0; i < 6; i++) await pub.client.publishAsync(topic, String(i), { qos: 1 });
    await waitFor(() => onWire === 2, { what: "two PUBLISHes" });
    await Bun.sleep(300);
    expect(onWire).toBe(2);
    // Each acknowledgement lets one more through, in order.
    for (let acked = 0; acked < 6; acked++) {
      await waitFor(() => acks.length > acked, { what: `message ${acked}` });
      acks[acked]?.();
      expect(onWire).toBeLessThanOrEqual(acked + 3);
    }
    expect(slow.received.map((m) => m.payload)).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  test("Subscription Identifiers: one copy carrying the identifier of every matching filter [MQTT-3.3.4-3]", async () => {
    const topic = `sid/${uid()}`;
    await using c = await v5(a);
    await c.client.subscribeAsync(`${topic}/+`, {
      qos: 1,
      properties: { subscriptionIdentifier: 7 },
    });
    await c.client.subscribeAsync(`${topic}/#`, {
      qos: 0,
      properties: { subscriptionIdentifier: 9 },
    });
    await c.client.subscribeAsync(`${topic}/x/#`, { qos: 0 });
    await using pub = await v5(b);
    await pub.client.publishAsync(`${topic}/x`, "both", { qos: 1 });
    await pub.client.publishAsync(`${topic}/x/y`, "one", { qos: 1 });
    const got = await c.waitMessages(2);
    const ids = (m: (typeof got)[0] | undefined) =>
      [m?.properties?.subscriptionIdentifier].flat().sort();
    expect(got.map((m) => m.payload)).toEqual(["both", "one"]);
    expect(ids(got[0])).toEqual([7, 9]);
    expect(ids(got[1])).toEqual([9]);
    await Bun.sleep(200);
    expect(c.received).toHaveLength(2);
  });

  test("outbound topic aliases up to the client's maximum; every message still has its topic", async () => {
    const topic = `oal/${uid()}`;
    await using c = await v5(a, { properties: { topicAliasMaximum: 2 } });
    let aliased = 0;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on("packet", (p) => p.cmd === "publish" && p.topic === "" && aliased++);
    c.client.stream.on("data", (chunk: Buffer) => parser.parse(chunk));
    await c.client.subscribeAsync(`${topic}/#`, { qos: 1 });
    await using pub = await v5(b);
    const sent: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const t of ["a", "b", "c"]) {
        sent.push(`${topic}/${t}`);
        await pub.client.publishAsync(`${topic}/${t}`, String(round), { qos: round === 1 ? 0 : 1 });
      }
    }
    const got = await c.waitMessages(9);
    expect(got.map((m) => m.topic)).toEqual(sent);
    // Two topics got aliases (the maximum), and were sent without their name after the first.
    expect(aliased).toBe(4);
  });

  test("Server Keep Alive: a client asking for none or more than max_keepalive is told 30 s", async () => {
    await using none = await v5(a, { keepalive: 0 });
    expect(none.connack.properties?.serverKeepAlive).toBe(30);
    await using short = await v5(a, { keepalive: 10 });
    expect(short.connack.properties?.serverKeepAlive).toBeUndefined();
    expect((await a.connz(String(none.client.options.clientId)))[0]).toMatchObject({});
  });

  test("an MQTT 5 request to a NATS service: the answer goes to the Response Topic's subject", async () => {
    const nc = await natsConnect({ servers: nats.url });
    nc.subscribe("svc.echo", {
      callback: (_e, m) => {
        const topic = m.headers?.get("Mqtt-Response-Topic");
        if (topic) nc.publish(topic.replaceAll("/", "."), `echo:${m.string()}`);
      },
    });
    await nc.flush();
    const replies = `replies/${uid()}`;
    await using caller = await v5(b);
    await caller.client.subscribeAsync(replies);
    await caller.client.publishAsync("svc/echo", "hi", {
      properties: { responseTopic: replies, correlationData: Buffer.from("42") },
    });
    expect((await caller.waitMessages(1))[0]).toMatchObject({ topic: replies, payload: "echo:hi" });
    await nc.close();
  });

  test("a session outlives a restart of its instance and expires on time afterwards", async () => {
    const clientId = `restart-${uid()}`;
    const topic = `restart/${uid()}`;
    const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 3 } };
    const first = await startTestBroker(nats.url, OPTIONS);
    {
      await using c = await v5(first, opts);
      await c.client.subscribeAsync(topic, { qos: 1 });
    }
    await first.stop();
    await using pub = await v5(a);
    await pub.client.publishAsync(topic, "kept", { qos: 1 });
    await using second = await startTestBroker(nats.url, OPTIONS);
    {
      await using back = await v5(second, opts);
      expect(back.connack.sessionPresent).toBe(true);
      expect((await back.waitMessages(1))[0]?.payload).toBe("kept");
    }
    const all = () => [...a.logs, ...b.logs, ...second.logs];
    await waitFor(
      () => all().some((r) => r.event === "session.expired" && r.clientId === clientId),
      { timeoutMs: 8000, what: "the session to expire" },
    );
    await using late = await v5(second, opts);
    expect(late.connack.sessionPresent).toBe(false);
  });

  test("a Will Delay Interval outlives the instance the client was on", async () => {
    const topic = `wd/${uid()}`;
    await using watcher = await v5(b);
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    const doomed = await startTestBroker(nats.url, OPTIONS);
    // The session outlives the connection: otherwise the will goes when the session ends, at once.
    const c = await v5(doomed, {
      clean: false,
      properties: { sessionExpiryInterval: 30 },
      will: {
        topic,
        payload: Buffer.from("late"),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    const stoppedAt = Date.now();
    await doomed.stop(); // the instance goes: its client is cut off, its will waits 1 s
    const [will] = await watcher.waitMessages(1, 8000);
    expect(will).toMatchObject({ topic, payload: "late" });
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(900);
    c.client.end(true);
  });

  test("a PUBREC with a reason of 0x80 or more ends the QoS 2 flow: no PUBREL, not sent again", async () => {
    const topic = `nrec/${uid()}`;
    const clientId = `nrec-${uid()}`;
    const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
    const wire: string[] = [];
    {
      await using c = await v5(a, {
        ...opts,
        customHandleAcks: (_t, _m, _p, done) => done(0x80),
      } as IClientOptions);
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on("packet", (p) => wire.push(p.cmd));
      c.client.stream.on("data", (chunk: Buffer) => parser.parse(chunk));
      await c.client.subscribeAsync(topic, { qos: 2 });
      await using pub = await v5(b);
      await pub.client.publishAsync(topic, "refused", { qos: 2 });
      await waitFor(() => wire.includes("publish"), { what: "the PUBLISH" });
      await Bun.sleep(300);
      expect(wire.filter((cmd) => cmd === "publish" || cmd === "pubrel")).toEqual(["publish"]);
    }
    // Not owed again on resume either.
    await using back = await v5(b, opts);
    expect(back.connack.sessionPresent).toBe(true);
    await Bun.sleep(300);
    expect(back.received).toEqual([]);
  });

  test("a PUBLISH with neither topic nor alias gets DISCONNECT 0x82", async () => {
    await using bad = await v5(a);
    const said = serverDisconnect(bad);
    bad.client.stream.write(
      encodePublishV5(new Uint8Array(0), new Uint8Array(1), 0, false, Uint8Array.of(0)),
    );
    expect(await said).toMatchObject({ reasonCode: 0x82 });
  });

  test("a drain with server_reference sends MQTT 5 clients DISCONNECT 0x9C with it", async () => {
    await using draining = await startTestBroker(nats.url, {
      ...OPTIONS,
      server_reference: "mqtt.example.net:1883",
      drain_notice: "100ms",
    });
    await using c = await v5(draining);
    const said = serverDisconnect(c) as Promise<
      { reasonCode?: number; properties?: object } | null
    >;
    await draining.drain();
    expect(await said).toMatchObject({
      reasonCode: 0x9c,
      properties: { serverReference: "mqtt.example.net:1883" },
    });
  });
});
