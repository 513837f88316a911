import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { IPublishPacket } from "mqtt-packet";
import { type LocalCluster, startLocalCluster } from "../helpers/cluster.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { proxyV1 } from "../helpers/proxy_bytes.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

// The scale-out topology of infra/local: 3 NATS nodes (replicas 3), 3 jetmq instances, HAProxy
// (leastconn, PROXY v2). Clients connect through HAProxy; where a case needs a client on one
// particular instance, it connects there directly with a PROXY header, as HAProxy would.

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startLocalCluster({ instances: 3 });
});
afterAll(async () => {
  await cluster.stop();
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** A raw client on instance `n` (1-based), as if HAProxy had sent it there. */
const onInstance = (n: number, source = "198.51.100.20") =>
  RawClient.open(cluster.instances[n - 1]?.mqttPort ?? 0, {
    preface: proxyV1(source, 40000 + n),
  });

describe("through HAProxy on the local cluster", () => {
  for (const qos of [0, 1, 2] as const) {
    test(`QoS ${qos}: publisher and subscriber on different instances`, async () => {
      const topic = `lb${qos}/${uid()}`;
      await using sub = await mqttjs(cluster.url, { clientId: `s-${uid()}` });
      await sub.client.subscribeAsync(topic, { qos });
      await using pub = await mqttjs(cluster.url, { clientId: `p-${uid()}` });
      const [on1, on2] = [
        await cluster.instanceOf(sub.client.options.clientId ?? ""),
        await cluster.instanceOf(pub.client.options.clientId ?? ""),
      ];
      // leastconn spreads them: two clients, two instances.
      expect(on1).toBeGreaterThan(0);
      expect(on2).toBeGreaterThan(0);
      expect(on1).not.toBe(on2);
      for (let i = 0; i < 20; i++) await pub.client.publishAsync(topic, String(i), { qos });
      const got = await sub.waitMessages(20);
      expect(got.map((m) => [m.payload, m.qos])).toEqual(
        Array.from({ length: 20 }, (_, i) => [String(i), qos]),
      );
    });
  }

  test("the client's own address reaches jetmq through HAProxy's PROXY header", async () => {
    const id = `addr-${uid()}`;
    await using c = await mqttjs(cluster.url, { clientId: id });
    const n = await cluster.instanceOf(id);
    const res = await fetch(
      `http://127.0.0.1:${cluster.instances[n - 1]?.monitorPort}/connz?mqtt_client=${id}`,
    );
    const { connections } = (await res.json()) as { connections: Array<{ remote: string }> };
    // The client's port, not HAProxy's: HAProxy spoke for it.
    const local = (c.client.stream as unknown as { localPort?: number }).localPort;
    expect(connections[0]?.remote).toBe(`127.0.0.1:${local}`);
  });

  test("a persistent session made on one instance resumes on another with its queue", async () => {
    const clientId = `roam-${uid()}`;
    const topic = `roam/${uid()}`;
    const first = await onInstance(1);
    await first.connect({ clientId, clean: false });
    first.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await first.next("suback");
    first.close();
    await first.waitClosed();
    await using pub = await mqttjs(cluster.url);
    for (let i = 0; i < 50; i++) await pub.client.publishAsync(topic, String(i), { qos: 1 });
    await using again = await onInstance(3);
    expect(await again.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    const got = (await again.waitCount("publish", 50)) as IPublishPacket[];
    expect(got.map((p) => p.payload.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  });

  test("a client id taken over on another instance closes the first connection", async () => {
    const clientId = `take-${uid()}`;
    await using first = await onInstance(1);
    await first.connect({ clientId, clean: false });
    await using second = await onInstance(2);
    expect(await second.connect({ clientId, clean: false })).toMatchObject({ returnCode: 0 });
    await first.waitClosed();
    // Instance 1 lists its closed connection until it has dealt with the session's end.
    await waitFor(async () => (await cluster.instanceOf(clientId)) === 2, {
      what: "the client id on instance 2 only",
    });
  });

  test("retained messages and wills cross instances", async () => {
    const topic = `ret/${uid()}`;
    await using a = await onInstance(1);
    await a.connect();
    a.send({
      cmd: "publish",
      topic,
      payload: Buffer.from("kept"),
      qos: 1,
      retain: true,
      dup: false,
      messageId: 1,
    });
    await a.next("puback");
    await using later = await onInstance(2);
    await later.connect();
    later.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    const kept = (await later.next("publish")) as IPublishPacket;
    expect([kept.payload.toString(), kept.retain]).toEqual(["kept", true]);

    const willTopic = `will/${uid()}`;
    await using watcher = await mqttjs(cluster.url);
    await watcher.client.subscribeAsync(willTopic, { qos: 1 });
    const dying = await onInstance(3);
    await dying.connect({
      will: { topic: willTopic, payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    await dying[Symbol.asyncDispose](); // the socket drops: no DISCONNECT
    const [will] = await watcher.waitMessages(1);
    expect(will).toMatchObject({ topic: willTopic, payload: "gone" });
  });

  test("stream_replicas auto gives replicas 3 on the 3-node cluster", async () => {
    const nc = await connect({ servers: cluster.natsUrls });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of ["jetmq_msgs", "jetmq_retained", "KV_jetmq_sessions"]) {
        expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
      }
    } finally {
      await nc.close();
    }
  });

  test("every instance is ready, and HAProxy's checks see them up", async () => {
    for (const i of cluster.instances) {
      const res = await fetch(`http://127.0.0.1:${i.monitorPort}/readyz`);
      expect(res.status).toBe(200);
    }
    await waitFor(async () => (await cluster.sh("status")).split("running").length - 1 === 7, {
      what: "7 processes running",
    });
  });
});
