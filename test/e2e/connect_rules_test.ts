import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { connectBytes, type ConnectParts } from "../helpers/connect_bytes.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { RawClient } from "../helpers/raw_client.ts";

// CONNECTs that break a MUST of section 3.1, sent as raw bytes: each closes that connection
// without CONNACK, with a log line, counted as a protocol error; a witness keeps working and no
// will of the refused client is published.

let nats: TestNats;
let broker: TestBroker;
let witness: TestClient;
let seq = 0;

beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url);
  witness = await mqttjs(broker.url, { clientId: "rules-witness", clean: false });
  await witness.client.subscribeAsync("rules/#", { qos: 1 });
});
afterAll(async () => {
  await witness[Symbol.asyncDispose]();
  await broker.stop();
  await nats.stop();
});

const BAD_UTF8 = Uint8Array.of(0x61, 0xc3, 0x28);
const will = { topic: "rules/will", payload: new TextEncoder().encode("gone") };

const cases: Array<[string, string, ConnectParts, string]> = [
  ["MQTT-3.1.2-3", "the reserved flag set", { flags: 0x03 }, "reserved flag"],
  ["MQTT-3.1.2-13", "Will QoS 1 without the Will Flag", { flags: 0x0a }, "Will QoS is not 0"],
  ["MQTT-3.1.2-15", "Will Retain without the Will Flag", { flags: 0x22 }, "Will Retain is set"],
  ["MQTT-3.1.2-14", "Will QoS 3", { will: { ...will, qos: 3 } }, "Will QoS is 3"],
  [
    "MQTT-3.1.2-22",
    "a password without a user name",
    { password: Uint8Array.of(1, 2) },
    "Password Flag is 1 while the User Name Flag is 0",
  ],
  ["MQTT-1.5.3-1", "a client id that is not UTF-8", { clientId: BAD_UTF8 }, "client id is not"],
  ["MQTT-1.5.3-1", "a user name that is not UTF-8", { username: BAD_UTF8 }, "user name is not"],
  [
    "MQTT-1.5.3-1",
    "a will topic that is not UTF-8",
    { will: { topic: BAD_UTF8 } },
    "will topic is not",
  ],
  ["MQTT-1.5.3-2", "U+0000 in the client id", { clientId: "a\u0000b" }, "client id holds U+0000"],
  ["MQTT-1.5.3-2", "U+0000 in the user name", { username: "\u0000" }, "user name holds U+0000"],
  ["MQTT-3.1.3-10", "a wildcard in the will topic", { will: { topic: "rules/#" } }, "will topic"],
];

describe("CONNECT rules of section 3.1, raw bytes", () => {
  for (const [tag, name, parts, reason] of cases) {
    test(`${name}: closed without CONNACK, logged and counted [${tag}]`, async () => {
      const errorsBefore = (await broker.varz()).protocol_errors;
      const clientId = typeof parts.clientId === "string" ? parts.clientId : `bad-${++seq}`;
      await using raw = await RawClient.open(broker.port);
      raw.send(connectBytes({ ...parts, clientId: parts.clientId ?? clientId }));
      await raw.waitClosed();
      expect(raw.all("connack")).toEqual([]);
      await broker.logged("client.protocol_error", (r) => String(r.reason).includes(reason));
      expect((await broker.varz()).protocol_errors).toBe(errorsBefore + 1);
      // The witness still gets what is published, and no will of the refused client came.
      const payload = `alive-${seq}`;
      const before = witness.received.length;
      await using pub = await mqttjs(broker.url);
      await pub.client.publishAsync("rules/ping", payload, { qos: 1 });
      const got = await witness.waitMessages(before + 1);
      expect(got.at(-1)?.payload).toBe(payload);
      expect(got.some((m) => m.topic === "rules/will")).toBe(false);
    });
  }

  test("a well-formed CONNECT with every field is accepted [MQTT-3.1.4-4]", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send(connectBytes({
      clientId: "rules-ok-\uFFFD",
      will: { ...will, qos: 2, retain: false },
      username: "anyone",
      password: BAD_UTF8, // binary data: any bytes
    }));
    expect(await raw.next("connack")).toMatchObject({ returnCode: 0 });
  });
});
