import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnackPacket, ISubackPacket } from "mqtt-packet";
import { encodePublish } from "../../src/mqtt/packets.ts";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

const MAX_PACKET = 4096;
const MAX_PENDING = 64 * 1024;

let nats: TestNats;
let broker: TestBroker;
// A well-behaved client that must keep working whatever the others send.
let witness: TestClient;
let sender: TestClient;
let seq = 0;

beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url, {
    max_packet_size: MAX_PACKET,
    max_pending_bytes: MAX_PENDING,
    connect_timeout: "500ms",
  });
  witness = await mqttjs(broker.url, { clientId: "witness", clean: false });
  await witness.client.subscribeAsync("witness/#");
  sender = await mqttjs(broker.url);
});
afterAll(async () => {
  await witness[Symbol.asyncDispose]();
  await sender[Symbol.asyncDispose]();
  await broker.stop();
  await nats.stop();
});

/** The witness still receives, in order, and nothing else reached it. */
async function witnessStillWorks(): Promise<void> {
  const payload = `alive-${++seq}`;
  await sender.client.publishAsync("witness/ping", payload);
  const got = await witness.waitMessages(seq);
  expect(got.map((m) => m.payload)).toEqual(
    Array.from({ length: seq }, (_, i) => `alive-${i + 1}`),
  );
}

/** The connection was closed and a log line says why. */
async function closedBecause(raw: RawClient, reason: string): Promise<void> {
  await raw.waitClosed();
  await broker.logged("client.closed", (r) => String(r.reason).includes(reason));
}

/** A CONNECT built by hand: mqtt-packet will not encode the invalid ones. */
const connectBytes = (protocol: string, level: number, clientId: string, flags = 0x02) => {
  const name = new TextEncoder().encode(protocol);
  const id = new TextEncoder().encode(clientId);
  const body = [0, name.length, ...name, level, flags, 0, 0, 0, id.length, ...id];
  return new Uint8Array([0x10, body.length, ...body]);
};

describe("bad input gets the spec's answer and disturbs nobody", () => {
  test("an unknown protocol level gets CONNACK 0x01, then close [MQTT-3.1.2-2]", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send(connectBytes("MQTT", 6, "level-6"));
    expect(await raw.next("connack")).toMatchObject({ returnCode: 1, sessionPresent: false });
    await closedBecause(raw, "level 6");
    await witnessStillWorks();
  });

  test("an empty client id with clean session 0 gets CONNACK 0x02, then close [MQTT-3.1.3-8]", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send(connectBytes("MQTT", 4, "", 0x00));
    expect((await raw.next("connack")) as IConnackPacket).toMatchObject({ returnCode: 2 });
    await closedBecause(raw, "Empty client id");
    await witnessStillWorks();
  });

  test("a first packet other than CONNECT closes without CONNACK [MQTT-3.1.0-1]", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "witness/#", qos: 0 }] });
    await closedBecause(raw, "expected CONNECT [MQTT-3.1.0-1]");
    expect(raw.packets).toEqual([]);
    await witnessStillWorks();
  });

  test("a second CONNECT closes the connection [MQTT-3.1.0-2]", async () => {
    await using raw = await RawClient.open(broker.port);
    await raw.connect();
    raw.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: "again",
      keepalive: 0,
    });
    await closedBecause(raw, "Second CONNECT");
    await witnessStillWorks();
  });

  test("garbage bytes close the connection with a log line", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send(new TextEncoder().encode("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n"));
    await raw.waitClosed();
    await broker.logged(
      "client.protocol_error",
      (r) => String(r.reason).startsWith("Malformed packet"),
    );
    await witnessStillWorks();
  });

  test("a packet over max_packet_size closes the connection before it is buffered", async () => {
    await using raw = await RawClient.open(broker.port);
    await raw.connect();
    const topic = new TextEncoder().encode("witness/big");
    raw.send(encodePublish(topic, new Uint8Array(MAX_PACKET), 0, false));
    await closedBecause(raw, `exceeds max_packet_size ${MAX_PACKET}`);
    await witnessStillWorks();
  });

  for (const topic of ["witness/a.b", "witness/a b", "witness/+", "witness/*"]) {
    test(`PUBLISH to the invalid topic ${JSON.stringify(topic)} closes the connection and delivers nothing`, async () => {
      await using raw = await RawClient.open(broker.port);
      await raw.connect();
      raw.send({
        cmd: "publish",
        topic,
        payload: Buffer.from("bad"),
        qos: 0,
        dup: false,
        retain: false,
      });
      await closedBecause(raw, "Invalid topic in PUBLISH");
      await witnessStillWorks();
    });
  }

  test("SUBSCRIBE refuses only the invalid filters with 0x80; the others work", async () => {
    await using raw = await RawClient.open(broker.port);
    await raw.connect();
    raw.send({
      cmd: "subscribe",
      messageId: 9,
      subscriptions: [
        { topic: "mixed/ok", qos: 0 },
        { topic: "mixed/a.b", qos: 0 },
        { topic: "mixed/#/x", qos: 0 },
        { topic: "mixed/sp ace", qos: 0 },
        { topic: "mixed/+/ok", qos: 0 },
      ],
    });
    const suback = (await raw.next("suback")) as ISubackPacket;
    expect(suback).toMatchObject({ messageId: 9, granted: [0, 0x80, 0x80, 0x80, 0] });
    await sender.client.publishAsync("mixed/ok", "1");
    await sender.client.publishAsync("mixed/z/ok", "2");
    const got = await waitFor(() => {
      const pubs = raw.packets.filter((p) => p.cmd === "publish");
      return pubs.length === 2 ? pubs : undefined;
    }, { what: "two publishes on the valid filters" });
    expect(got.map((p) => p.cmd === "publish" && p.topic)).toEqual(["mixed/ok", "mixed/z/ok"]);
    expect(raw.closed).toBe(false);
    await witnessStillWorks();
  });

  test("a connection that sends no CONNECT in time is closed", async () => {
    await using raw = await RawClient.open(broker.port);
    await closedBecause(raw, "No CONNECT within 500 ms");
  });

  test("keepalive is enforced at 1.5 times the client's value [MQTT-3.1.2-24]", async () => {
    await using quiet = await RawClient.open(broker.port);
    await using pinging = await RawClient.open(broker.port);
    await quiet.connect({ keepalive: 1 });
    await pinging.connect({ keepalive: 1 });
    const timer = setInterval(() => pinging.send({ cmd: "pingreq" }), 400);
    try {
      await closedBecause(quiet, "Keepalive timeout");
      // The pinging client outlived the quiet one and got its PINGRESPs [MQTT-3.12.4-1].
      for (let i = 0; i < 3; i++) await pinging.next("pingresp");
      expect(pinging.closed).toBe(false);
    } finally {
      clearInterval(timer);
    }
  });

  test("a reader that stops reading has QoS 0 messages dropped and counted; others get every one", async () => {
    // Far more than the kernel's socket buffers hold, so jetmq's own bound is what is tested.
    const BATCH = 200;
    const N = 8000;
    await using slow = await RawClient.open(broker.port);
    await slow.connect({ clientId: "slow-reader" });
    slow.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "flood/#", qos: 0 }] });
    await slow.next("suback");
    slow.pauseReading();
    await using fast = await mqttjs(broker.url);
    await fast.client.subscribeAsync("flood/#");

    await using flooder = await RawClient.open(broker.port);
    await flooder.connect();
    const one = encodePublish(new TextEncoder().encode("flood/x"), new Uint8Array(3000), 0, false);
    const batch = new Uint8Array(one.length * BATCH);
    for (let i = 0; i < BATCH; i++) batch.set(one, i * one.length);
    // Paced by the fast reader, so only the slow one falls behind.
    for (let sent = BATCH; sent <= N; sent += BATCH) {
      flooder.send(batch);
      await fast.waitMessages(sent, 10_000);
    }
    const [conn] = await broker.connz("slow-reader");
    expect(conn?.dropped).toBeGreaterThan(N / 2);
    expect(conn?.pending_bytes).toBeLessThanOrEqual(MAX_PENDING + one.length);
    expect((await broker.varz()).dropped_qos0).toBeGreaterThanOrEqual(conn?.dropped ?? 1);
    expect(fast.received).toHaveLength(N);
    await witnessStillWorks();
  });

  test("the persistent session of the witness is still stored after all of the above", async () => {
    await witness.client.endAsync();
    await using again = await mqttjs(broker.url, { clientId: "witness", clean: false });
    expect(again.connack.sessionPresent).toBe(true);
    await sender.client.publishAsync("witness/after", "still subscribed");
    expect((await again.waitMessages(1))[0]?.payload).toBe("still subscribed");
  });
});
