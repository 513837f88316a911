import { afterAll, describe, expect, test } from "bun:test";
import type { IPublishPacket, ISubackPacket } from "mqtt-packet";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import {
  MESSAGES_STREAM,
  shareConsumerName,
  shareGroupKey,
  SHARES_BUCKET,
} from "../../src/nats/names.ts";
import type { ShareGroupRecord } from "../../src/nats/share_groups.ts";
import { TEST_RUNTIME, type TestBroker, useInstances } from "../helpers/broker.ts";
import { type KillableBroker, startBrokerProcess } from "../helpers/broker_process.ts";
import { mqttjs, type TestClient } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { finish } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

// Shared subscriptions ($share/{ShareName}/{filter}) on two instances of one NATS, with MQTT.js
// (3.1.1 and 5), raw clients that withhold acknowledgements, and a plain NATS queue worker.

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
// A short ack_wait, so that an instance's death hands its members' messages on within the test.
const OPTIONS = { ack_wait: "2s", lease_ttl: "1500ms", max_shared_inflight: 8 };
useInstances(2, OPTIONS, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);
// Debian's paho belongs to Debian's python3, which may not be the first python3 on PATH.
const DEBIAN_PYTHON = "/usr/bin/python3";

/** Messages per member, and every payload seen how often across the group. */
function tally(members: ReadonlyArray<readonly string[]>) {
  const seen = new Map<string, number>();
  for (const got of members) for (const p of got) seen.set(p, (seen.get(p) ?? 0) + 1);
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  return { perMember: members.map((m) => m.length), distinct: seen.size, duplicates };
}

const payloads = (c: TestClient) => c.received.map((m) => m.payload);

/** Whether the group of `shared` (a filter of one level, one subject) has its consumer. */
async function hasGroupConsumer(shared: string): Promise<boolean> {
  const jsm = await jetstreamManager(await nats.client());
  const subject = shared.split("/").slice(2).join(".");
  try {
    await jsm.consumers.info(MESSAGES_STREAM, shareConsumerName(shared, subject));
    return true;
  } catch {
    return false;
  }
}

async function rawMember(broker: TestBroker, shared: string, qos: 0 | 1 | 2, clean = true) {
  const raw = await RawClient.open(broker.port);
  const clientId = `raw-${uid()}`;
  await raw.connect({ clientId, clean });
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: shared, qos }] });
  await raw.next("suback");
  return { raw, clientId };
}

describe("shared subscriptions", () => {
  test("QoS 0: each message goes to exactly one member of the group, members on both instances (3.1.1 and 5) share them", async () => {
    const topic = `sh/${uid()}/t`;
    const shared = `$share/workers/${topic.split("/").slice(0, 2).join("/")}/+`;
    const members = [
      await mqttjs(a.url),
      await mqttjs(b.url),
      await mqttjs(a.url, { protocolVersion: 5 }),
      await mqttjs(b.url, { protocolVersion: 5 }),
    ];
    for (const m of members) await m.client.subscribeAsync(shared, { qos: 0 });
    await using everyone = await mqttjs(b.url);
    await everyone.client.subscribeAsync(topic, { qos: 0 });
    await using pub = await mqttjs(a.url);
    const N = 400;
    for (let i = 0; i < N; i++) pub.client.publish(topic, `m${i}`, { qos: 0 });
    await everyone.waitMessages(N);
    await waitFor(() => members.reduce((n, m) => n + m.received.length, 0) >= N, {
      what: `${N} messages across the group`,
    });
    const t = tally(members.map(payloads));
    expect(t).toMatchObject({ distinct: N, duplicates: 0 });
    // Every member takes a share (NATS picks a member at random per message).
    for (const n of t.perMember) expect(n).toBeGreaterThan(N / 20);
    // A shared subscriber does not get the message twice through a plain subscription.
    expect(everyone.received).toHaveLength(N);
    for (const m of members) await m.client.endAsync();
  });

  test("QoS 1: the group consumer hands each stored message to one member; the union is every message, no duplicate", async () => {
    const topic = `sh1/${uid()}`;
    const shared = `$share/q1/${topic}`;
    const members = [await mqttjs(a.url), await mqttjs(b.url), await mqttjs(b.url)];
    for (const m of members) await m.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(a.url);
    const N = 300;
    await Promise.all(
      Array.from({ length: N }, (_, i) => pub.client.publishAsync(topic, `m${i}`, { qos: 1 })),
    );
    await waitFor(() => members.reduce((n, m) => n + m.received.length, 0) >= N, {
      what: `${N} messages across the group`,
    });
    await Bun.sleep(200); // a duplicate would come now
    const t = tally(members.map(payloads));
    expect(t).toMatchObject({ distinct: N, duplicates: 0 });
    for (const n of t.perMember) expect(n).toBeGreaterThan(0);
    for (const m of members) for (const r of m.received) expect(r.qos).toBe(1);
    for (const m of members) await m.client.endAsync();
  });

  test("a NATS queue subscriber in the same group takes its share of NATS publishes", async () => {
    const id = uid();
    const shared = `$share/mixed/shn/${id}`;
    const subject = `shn.${id}`; // the topic shn/<id> as NATS sees it
    const nc = await nats.client();
    const worker: string[] = [];
    // Joins the group by its name: the queue group is the shared subscription itself.
    const sub = nc.subscribe(subject, {
      queue: shared,
      callback: (_e, m) => void worker.push(m.string()),
    });
    const members = [await mqttjs(a.url), await mqttjs(b.url)];
    for (const m of members) await m.client.subscribeAsync(shared, { qos: 0 });
    await nc.flush();
    const N = 300;
    const publisher = await natsConnect({ servers: nats.url });
    for (let i = 0; i < N; i++) publisher.publish(subject, `n${i}`);
    await publisher.flush();
    await waitFor(() => worker.length + members.reduce((n, m) => n + m.received.length, 0) >= N, {
      what: `${N} messages across MQTT members and the NATS worker`,
    });
    await Bun.sleep(200);
    const t = tally([worker, ...members.map(payloads)]);
    expect(t).toMatchObject({ distinct: N, duplicates: 0 });
    for (const n of t.perMember) expect(n).toBeGreaterThan(N / 20);
    sub.unsubscribe();
    await publisher.close();
    for (const m of members) await m.client.endAsync();
  });

  test("Python paho (MQTT 5) and MQTT.js members split a QoS 1 stream", async () => {
    const id = uid();
    const shared = `$share/py/paho/${id}`;
    // The script says it is ready, and stops at "end" on a control topic of its own.
    const script = `
import sys, json, paho.mqtt.client as mqtt
got = []
def on_connect(c, u, flags, rc, props):
    c.subscribe([(sys.argv[2], mqtt.SubscribeOptions(qos=1)), ("ctl/${id}/end", mqtt.SubscribeOptions(qos=1))])
def on_subscribe(c, u, mid, codes, props):
    c.publish("ctl/${id}/ready", "ready", qos=1)
def on_message(c, u, msg):
    if msg.topic == "ctl/${id}/end":
        c.disconnect()
    else:
        got.append(msg.payload.decode())
c = mqtt.Client(client_id="paho-share-${id}", protocol=mqtt.MQTTv5)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", int(sys.argv[1]), keepalive=30, clean_start=True)
c.loop_forever(timeout=1.0)
print(json.dumps(got))
`;
    await using control = await mqttjs(a.url);
    await control.client.subscribeAsync(`ctl/${id}/ready`, { qos: 1 });
    await using js = await mqttjs(a.url, { protocolVersion: 5 });
    await js.client.subscribeAsync(shared, { qos: 1 });
    const paho = Bun.spawn([DEBIAN_PYTHON, "-c", script, String(a.port), shared], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    await control.waitMessages(1, 10_000);
    const N = 60;
    for (let i = 0; i < N; i++) {
      await control.client.publishAsync(`paho/${id}`, `m${i}`, { qos: 1 });
    }
    // Every message handed to a member (this instance holds both) before "end" goes out.
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${a.monitorPort}/subsz`);
      const s = await res.json() as { shared: Array<{ group: string; messages: number }> };
      return s.shared.find((g) => g.group === shared)?.messages === N;
    }, { what: `${N} messages handed to the group` });
    await control.client.publishAsync(`ctl/${id}/end`, "end", { qos: 1 });
    const out = await finish(paho, 20_000);
    expect(out.stderr).toBe("");
    const fromPaho = JSON.parse(out.stdout) as string[];
    await waitFor(() => fromPaho.length + js.received.length >= N, { what: "every message" });
    const t = tally([fromPaho, payloads(js)]);
    expect(t).toMatchObject({ distinct: N, duplicates: 0 });
    for (const n of t.perMember) expect(n).toBeGreaterThan(0);
  });

  test("a member that disconnects with unacknowledged QoS 1 messages: they go to another member at once", async () => {
    const topic = `shd/${uid()}`;
    const shared = `$share/d/${topic}`;
    const { raw } = await rawMember(a, shared, 1);
    await using other = await mqttjs(b.url);
    await other.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(b.url);
    const N = 60;
    for (let i = 0; i < N; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    // The raw member never acknowledges: what it got is its, until it goes.
    const withheld = (await raw.waitCount("publish", 1)).length;
    expect(withheld).toBeGreaterThan(0);
    const start = Date.now();
    raw.close();
    await other.waitMessages(N, 5000);
    // Far sooner than ack_wait (2 s here, 30 s by default): handed back when the member left.
    expect(Date.now() - start).toBeLessThan(1500);
    expect(new Set(payloads(other)).size).toBe(N);
    await raw[Symbol.asyncDispose]();
  });

  test("a member at its Receive Maximum (MQTT 5) holds no more than that: the others take the rest", async () => {
    const topic = `shrm/${uid()}`;
    const shared = `$share/slow/${topic}`;
    // Acknowledges nothing: one message in flight is all it may have.
    let held = 0;
    await using slow = await mqttjs(a.url, {
      protocolVersion: 5,
      properties: { receiveMaximum: 1 },
      customHandleAcks: () => void held++,
    });
    await slow.client.subscribeAsync(shared, { qos: 1 });
    await using fast = await mqttjs(b.url);
    await fast.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(b.url);
    const N = 20;
    for (let i = 0; i < N; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    await fast.waitMessages(N - 1, 10_000);
    await Bun.sleep(300);
    expect(held).toBe(1);
    expect(new Set(payloads(fast)).size).toBe(N - 1);
  });

  test("a 3.1.1 member holds at most max_shared_inflight unacknowledged: the others take the rest", async () => {
    const topic = `shmi/${uid()}`;
    const shared = `$share/mi/${topic}`;
    const { raw } = await rawMember(a, shared, 1); // never acknowledges
    await using fast = await mqttjs(b.url);
    await fast.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(b.url);
    const N = 40;
    for (let i = 0; i < N; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    const held = (await raw.waitCount("publish", 8)).length;
    await fast.waitMessages(N - 8, 10_000);
    await Bun.sleep(300);
    expect(raw.all("publish")).toHaveLength(8);
    expect(held).toBe(8);
    expect(new Set(payloads(fast)).size).toBe(N - 8);
    await raw[Symbol.asyncDispose]();
  });

  test("a negative PUBACK (MQTT 5, 0x80) is not retried on another member [MQTT-4.8.2-6]", async () => {
    const topic = `shn5/${uid()}`;
    const shared = `$share/neg/${topic}`;
    await using refuser = await mqttjs(a.url, {
      protocolVersion: 5,
      customHandleAcks: (_t, _m, _p, done) => done(0x80),
    });
    // MQTT.js emits no "message" for a refused one: count the PUBLISH packets instead.
    let refused = 0;
    refuser.client.on("packetreceive", (p) => void (p.cmd === "publish" && refused++));
    await refuser.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(a.url);
    for (let i = 0; i < 5; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    await waitFor(() => refused === 5, { what: "5 PUBLISH to the refusing member" });
    // A second member joins: nothing the first refused comes to it, even after ack_wait.
    await using other = await mqttjs(b.url);
    await other.client.subscribeAsync(shared, { qos: 1 });
    await Bun.sleep(2600);
    expect(other.received).toHaveLength(0);
    expect(refused).toBe(5);
  });

  test("QoS 2: a message sent to a member stays that session's, is sent again (DUP) when it returns, never to another member [MQTT-4.8.2-4]", async () => {
    const topic = `sh2/${uid()}`;
    const shared = `$share/two/${topic}`;
    const { raw, clientId } = await rawMember(a, shared, 2, false);
    await using pub = await mqttjs(a.url);
    await pub.client.publishAsync(topic, "mine", { qos: 2 });
    const first = (await raw.next("publish")) as IPublishPacket;
    expect(first.qos).toBe(2);
    raw.close();
    await raw.waitClosed();
    // Another member now; the message is not its, even after ack_wait.
    await using other = await mqttjs(b.url);
    await other.client.subscribeAsync(shared, { qos: 2 });
    await pub.client.publishAsync(topic, "next", { qos: 2 });
    await other.waitMessages(1);
    await Bun.sleep(2600);
    expect(payloads(other)).toEqual(["next"]);
    // Back, on the other instance: the PUBLISH again, same id, DUP; then the QoS 2 flow ends.
    await using back = await RawClient.open(b.port);
    const connack = await back.connect({ clientId, clean: false });
    expect(connack.sessionPresent).toBe(true);
    const again = (await back.next("publish")) as IPublishPacket;
    expect(again).toMatchObject({ messageId: first.messageId, dup: true, qos: 2 });
    expect(String(again.payload)).toBe("mine");
    back.send({ cmd: "pubrec", messageId: first.messageId ?? 0 });
    await back.next("pubrel");
    back.send({ cmd: "pubcomp", messageId: first.messageId ?? 0 });
    back.send({ cmd: "unsubscribe", messageId: 2, unsubscriptions: [shared] });
    await back.next("unsuback");
    back.send({ cmd: "disconnect" });
  });

  test("persistent members offline: the group's messages queue and arrive when one reconnects; the last to leave removes the group's consumer", async () => {
    const topic = `shp/${uid()}`;
    const shared = `$share/away/${topic}`;
    const ids = [`p1-${uid()}`, `p2-${uid()}`];
    for (const [i, clientId] of ids.entries()) {
      await using m = await mqttjs((i ? b : a).url, { clientId, clean: false });
      await m.client.subscribeAsync(shared, { qos: 1 });
    }
    expect(await hasGroupConsumer(shared)).toBe(true);
    await using pub = await mqttjs(a.url);
    const N = 30;
    for (let i = 0; i < N; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    {
      await using back = await mqttjs(b.url, { clientId: ids[0], clean: false });
      expect(back.connack.sessionPresent).toBe(true);
      await back.waitMessages(N);
      expect(new Set(payloads(back)).size).toBe(N);
      await back.client.unsubscribeAsync(shared);
    }
    {
      await using last = await mqttjs(a.url, { clientId: ids[1], clean: false });
      await last.client.unsubscribeAsync(shared);
    }
    expect(await hasGroupConsumer(shared)).toBe(false);
  });

  test("a session's expiry (MQTT 5) removes its memberships: the last member's group goes with its consumer", async () => {
    const shared = `$share/exp/${uid()}`;
    {
      await using m = await mqttjs(b.url, {
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 1 },
      });
      await m.client.subscribeAsync(shared, { qos: 1 });
      expect(await hasGroupConsumer(shared)).toBe(true);
    }
    await waitFor(async () => !(await hasGroupConsumer(shared)), {
      timeoutMs: 10_000,
      what: "the expired session's group to be removed",
    });
  });

  test("a 3.1.1 malformed share gets 0x80; a shared subscription gets no retained message; No Local on one is a protocol error (MQTT 5)", async () => {
    const topic = `shr/${uid()}`;
    await using pub = await mqttjs(a.url);
    await pub.client.publishAsync(topic, "kept", { qos: 1, retain: true });
    const { raw } = await rawMember(a, `$share/ok/${topic}`, 1);
    raw.send({
      cmd: "subscribe",
      messageId: 2,
      subscriptions: [{ topic: "$share//x", qos: 0 }, { topic: "$share/g#/x", qos: 0 }, {
        topic: "$share/only",
        qos: 0,
      }],
    });
    const suback = (await raw.next("suback")) as ISubackPacket;
    expect(suback.granted).toEqual([0x80, 0x80, 0x80]);
    await Bun.sleep(200);
    expect(raw.all("publish")).toHaveLength(0); // no retained message for $share/ok/…
    await raw[Symbol.asyncDispose]();

    await using v5 = await mqttjs(a.url, { protocolVersion: 5 });
    const disconnect = new Promise<number | undefined>((resolve) =>
      v5.client.once("disconnect", (p) => resolve(p.reasonCode))
    );
    v5.client.subscribe(`$share/nl/${topic}`, { qos: 0, nl: true });
    expect(await disconnect).toBe(0x82);
  });

  test("/subsz lists the groups with their local members, and counts messages per group", async () => {
    const shared = `$share/mon/${uid()}`;
    const members = [await mqttjs(a.url), await mqttjs(a.url)];
    for (const m of members) await m.client.subscribeAsync(shared, { qos: 0 });
    await using pub = await mqttjs(b.url);
    const topic = shared.split("/").slice(2).join("/");
    for (let i = 0; i < 10; i++) pub.client.publish(topic, `m${i}`);
    await waitFor(() => members[0]!.received.length + members[1]!.received.length >= 10, {
      what: "10 messages",
    });
    const res = await fetch(`http://127.0.0.1:${a.monitorPort}/subsz`);
    const s = await res.json() as { shared: Array<Record<string, unknown>> };
    expect(s.shared).toContainEqual({ group: shared, members: 2, messages: 10 });
    for (const m of members) await m.client.endAsync();
  });
});

describe("shared subscriptions: an instance killed (kill -9)", () => {
  let victim: KillableBroker | null = null;
  afterAll(async () => {
    await victim?.stop();
  });

  test("its members' unacknowledged QoS 1 messages go to other members after ack_wait, and its members leave the group", async () => {
    victim = await startBrokerProcess(
      { host: "127.0.0.1", port: 0, ws_port: 0, monitor_port: 0, nats_url: nats.url, ...OPTIONS },
      TEST_RUNTIME,
    );
    const topic = `shk/${uid()}`;
    const shared = `$share/k/${topic}`;
    const { raw } = await rawMember(victim, shared, 1);
    await using other = await mqttjs(a.url);
    await other.client.subscribeAsync(shared, { qos: 1 });
    await using pub = await mqttjs(b.url);
    const N = 40;
    for (let i = 0; i < N; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    const withheld = (await raw.waitCount("publish", 1)).length;
    expect(withheld).toBeGreaterThan(0);
    await victim.kill();
    // Redelivered by JetStream once ack_wait (2 s) passes, to the member still there.
    await other.waitMessages(N, 10_000);
    const t = tally([payloads(other)]);
    expect(t.distinct).toBe(N);
    await raw[Symbol.asyncDispose]();
    // Once its lease runs out, a survivor removes the dead instance's member from the group.
    const groups = await new Kvm(jetstream(await nats.client())).open(SHARES_BUCKET);
    await waitFor(async () => {
      const e = await groups.get(shareGroupKey(shared));
      const members = e?.operation === "PUT" ? Object.keys(e.json<ShareGroupRecord>().members) : [];
      return members.length === 1;
    }, { timeoutMs: 10_000, what: "the dead instance's member to leave the group" });
  });
});
