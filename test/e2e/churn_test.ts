import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { IPublishPacket } from "mqtt-packet";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

// Churn with random client ids, as browsers and serverless clients make it: jetmq's footprint
// in JetStream must be a function of live state only — consumers of live persistent
// subscriptions, one key per live session, no markers piling up, nothing made per operation.

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  a = await startTestBroker(nats.url);
  b = await startTestBroker(nats.url);
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await nats.stop();
});

const uid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12);
const BATCH = 50;

/** Runs `cycle` `count` times, `BATCH` at a time, alternating the two instances. */
async function churn(count: number, cycle: (on: TestBroker, i: number) => Promise<void>) {
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => cycle(k % 2 ? a : b, i + k)),
    );
  }
}

async function session(on: TestBroker, clientId: string, clean: boolean, filter: string, qos = 1) {
  const c = await RawClient.open(on.port);
  await c.connect({ clientId, clean });
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos: qos as 1 }] });
  await c.next("suback");
  return c;
}

describe("churn", () => {
  test(
    "thousands of random sessions come and go; what stays in JetStream is what lives",
    async () => {
      // Clean sessions, each with a will, a QoS 1 subscription and a QoS 2 publish on the way.
      await churn(1500, async (on, i) => {
        const c = await RawClient.open(on.port);
        await c.connect({
          clientId: `clean-${uid()}`,
          will: { topic: `churn/will/${i}`, payload: Buffer.from("x"), qos: 1, retain: false },
        });
        c.send({
          cmd: "subscribe",
          messageId: 1,
          subscriptions: [{ topic: `churn/c/${i}`, qos: 1 }],
        });
        await c.next("suback");
        c.send({
          cmd: "publish",
          topic: `churn/q2/${i}`,
          payload: Buffer.from("x"),
          qos: 2,
          dup: false,
          retain: false,
          messageId: 5,
        });
        await c.next("pubrec");
        c.send({ cmd: "pubrel", messageId: 5 });
        await c.next("pubcomp");
        c.send({ cmd: "disconnect" });
        await c.waitClosed();
      });
      // Persistent sessions made and resumed; a fifth stay, the rest are ended by a clean start.
      const kept: string[] = [];
      await churn(400, async (on, i) => {
        const clientId = `durable-${uid()}`;
        const first = await session(on, clientId, false, `churn/p/${i}/#`);
        first.send({ cmd: "disconnect" });
        await first.waitClosed();
        const again = await RawClient.open((on === a ? b : a).port);
        expect(await again.connect({ clientId, clean: false })).toMatchObject({
          sessionPresent: true,
        });
        again.send({ cmd: "disconnect" });
        await again.waitClosed();
        if (i % 5 === 0) return void kept.push(clientId);
        const end = await RawClient.open(on.port);
        await end.connect({ clientId, clean: true });
        end.send({ cmd: "disconnect" });
        await end.waitClosed();
      });
      // QoS 2 deliveries to a persistent session, released and completed.
      const receiver = await session(a, `q2-${uid()}`, false, "churn/out", 2);
      kept.push("q2 receiver");
      const sender = await RawClient.open(b.port);
      await sender.connect();
      for (let i = 0; i < 50; i++) {
        sender.send({
          cmd: "publish",
          topic: "churn/out",
          payload: Buffer.from(String(i)),
          qos: 1,
          dup: false,
          retain: false,
          messageId: i + 1,
        });
      }
      const got = (await receiver.waitCount("publish", 50)) as IPublishPacket[];
      for (const p of got) receiver.send({ cmd: "pubrec", messageId: p.messageId });
      await receiver.waitCount("pubrel", 50);
      for (const p of got) receiver.send({ cmd: "pubcomp", messageId: p.messageId });
      receiver.send({ cmd: "pingreq" });
      await receiver.next("pingresp");

      // Live now: the kept persistent sessions (two consumers each: `churn/p/i/#` is two NATS
      // subjects), the QoS 2 receiver (one), the sender (a clean session), two instances.
      const jsm = await jetstreamManager(await nats.client());
      const expected = {
        consumers: 2 * (kept.length - 1) + 1,
        sessions: kept.length + 1,
      };
      await waitFor(async () => {
        const f = await fetch(`http://127.0.0.1:${a.monitorPort}/jsz`).then((r) => r.json()) as {
          streams: Record<string, { subjects: number; consumers: number; messages: number }>;
        };
        const s = f.streams;
        return s.jetmq_msgs?.consumers === expected.consumers &&
          s.KV_jetmq_sessions?.subjects === expected.sessions &&
          s.KV_jetmq_qos2_in?.subjects === 0 && s.KV_jetmq_qos2_out?.subjects === 0 &&
          // One will-timer watcher, one lease watcher and one follower of the retained messages
          // (its copy for wildcard lookups) per instance, nothing else.
          s.KV_jetmq_wills?.consumers === 2 && s.KV_jetmq_instances?.consumers === 2 &&
          s.jetmq_retained?.consumers === 2 &&
          s.KV_jetmq_sessions?.consumers === 0 && s.KV_jetmq_wills?.subjects === 0 &&
          s.KV_jetmq_instances?.subjects === 2;
      }, { timeoutMs: 20_000, what: "the footprint to come down to the live state" });
      // The server agrees: no ephemeral consumer anywhere beyond those.
      let total = 0;
      for await (const s of jsm.streams.list()) total += s.state.consumer_count;
      expect(total).toBe(expected.consumers + 6);
      await receiver[Symbol.asyncDispose]();
      await sender[Symbol.asyncDispose]();
    },
    120_000,
  );

  test("instances that start and stop leave nothing behind: no lease, no marker", async () => {
    for (let i = 0; i < 3; i++) await (await startTestBroker(nats.url)).stop();
    const jsm = await jetstreamManager(await nats.client());
    const { state } = await jsm.streams.info("KV_jetmq_instances");
    // The leases of the two live instances, one message each.
    expect({ subjects: state.num_subjects, messages: state.messages }).toEqual({
      subjects: 2,
      messages: 2,
    });
  });
});
