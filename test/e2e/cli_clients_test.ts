import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { finish, run } from "../helpers/process.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: TestNats;
let broker: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url);
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
});

// Debian's paho belongs to Debian's python3, which may not be the first python3 on PATH.
const DEBIAN_PYTHON = "/usr/bin/python3";

const mosquittoPub = (...args: string[]) =>
  run(["mosquitto_pub", "-h", "127.0.0.1", "-p", String(broker.port), ...args]);

describe("real command-line and library clients", () => {
  test("mosquitto_pub → jetmq → mosquitto_sub", async () => {
    const before = (await broker.varz()).nats_subscriptions;
    const sub = Bun.spawn(
      [
        "mosquitto_sub",
        ...[
          "-h",
          "127.0.0.1",
          "-p",
          String(broker.port),
          "-t",
          "mosq/#",
          "-v",
          "-C",
          "3",
          "-W",
          "20",
        ],
      ],
      { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    );
    await waitFor(async () => (await broker.varz()).nats_subscriptions > before, {
      what: "mosquitto_sub's subscription",
    });
    for (const [t, m] of [["mosq", "zero"], ["mosq/a", "one"], ["mosq/a/b", "two words"]]) {
      expect((await mosquittoPub("-t", t as string, "-m", m as string)).code).toBe(0);
    }
    const out = await finish(sub);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split("\n")).toEqual([
      "mosq zero",
      "mosq/a one",
      "mosq/a/b two words",
    ]);
  });

  test("mosquitto_pub with MQTT 3.1 (-V mqttv31) is accepted", async () => {
    await using c = await mqttjs(broker.url);
    await c.client.subscribeAsync("v31");
    const pub = await mosquittoPub("-V", "mqttv31", "-i", "v31-client", "-t", "v31", "-m", "old");
    expect(pub.code).toBe(0);
    expect((await c.waitMessages(1))[0]?.payload).toBe("old");
  });

  test("mosquitto_pub with MQTT 5 and user properties reaches an MQTT 5 subscriber", async () => {
    await using c = await mqttjs(broker.url, { protocolVersion: 5 });
    await c.client.subscribeAsync("v5/mosq");
    const pub = await mosquittoPub(
      ...["-V", "mqttv5", "-i", "v5-client", "-t", "v5/mosq", "-m", "x"],
      ...["-D", "publish", "user-property", "origin", "mosquitto"],
      ...["-D", "publish", "content-type", "text/plain"],
    );
    expect(pub.code).toBe(0);
    expect((await c.waitMessages(1))[0]?.properties).toEqual({
      userProperties: { origin: "mosquitto" },
      contentType: "text/plain",
    });
  });

  test("Python paho with MQTTv5: properties, a subscription option and reason codes", async () => {
    const script = `
import sys, json, paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
out = {}
def on_connect(c, u, flags, rc, props):
    out["connack"] = [rc.value, getattr(props, "TopicAliasMaximum", None)]
    opts = mqtt.SubscribeOptions(qos=1, noLocal=False)
    c.subscribe([("paho5/echo", opts), ("bad/a.b", mqtt.SubscribeOptions(qos=0))])
def on_subscribe(c, u, mid, codes, props):
    out["suback"] = [rc.value for rc in codes]
    p = Properties(PacketTypes.PUBLISH)
    p.UserProperty = [("b", "2"), ("a", "1"), ("b", "3")]
    p.ContentType = "text/plain"
    c.publish("paho5/echo", "from paho 5", qos=1, properties=p)
def on_message(c, u, msg):
    out["message"] = [msg.topic, msg.payload.decode(), msg.properties.UserProperty, msg.properties.ContentType]
    c.disconnect()
c = mqtt.Client(client_id="paho-v5", protocol=mqtt.MQTTv5)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", int(sys.argv[1]), keepalive=30, clean_start=True)
c.loop_forever(timeout=1.0)
print(json.dumps(out))
`;
    const out = await run([DEBIAN_PYTHON, "-c", script, String(broker.port)]);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual({
      connack: [0, 64],
      suback: [1, 0x8f],
      // User properties in their order, a repeated name twice [MQTT-3.3.2-18].
      message: ["paho5/echo", "from paho 5", [["b", "2"], ["a", "1"], ["b", "3"]], "text/plain"],
    });
  });

  test("Python paho publishes to and receives from jetmq", async () => {
    await using js = await mqttjs(broker.url);
    await js.client.subscribeAsync("paho/#");
    const script = `
import sys, paho.mqtt.client as mqtt
got = []
def on_connect(c, u, f, rc):
    c.subscribe("paho/echo")
def on_subscribe(c, u, mid, granted):
    c.publish("paho/echo", "from paho")
def on_message(c, u, msg):
    got.append((msg.topic, msg.payload.decode()))
    c.disconnect()
c = mqtt.Client(client_id="paho-test", clean_session=True)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", int(sys.argv[1]), keepalive=30)
c.loop_forever(timeout=1.0)
print(got[0][0], got[0][1])
`;
    const out = await run([DEBIAN_PYTHON, "-c", script, String(broker.port)]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe("paho/echo from paho");
    expect((await js.waitMessages(1))[0]).toMatchObject({
      topic: "paho/echo",
      payload: "from paho",
    });
  });
});
