import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import { INSTANCES_BUCKET, WILLS_BUCKET } from "../../src/nats/names.ts";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

const LEASE_TTL_MS = 1000;

let nats: TestNats;
let broker: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url, { lease_ttl: `${LEASE_TTL_MS}ms` });
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** A raw client with a will on `topic`. */
async function withWill(
  port: number,
  topic: string,
  opts: { keepalive?: number; clean?: boolean; retain?: boolean; clientId?: string } = {},
) {
  const raw = await RawClient.open(port);
  const connack = await raw.connect({
    clientId: opts.clientId ?? `will-${uid()}`,
    keepalive: opts.keepalive ?? 0,
    clean: opts.clean ?? true,
    will: { topic, payload: Buffer.from(`gone:${topic}`), qos: 1, retain: opts.retain ?? false },
  });
  expect(connack.returnCode).toBe(0);
  return raw;
}

describe("Last Will", () => {
  test("is published when the connection drops without DISCONNECT [MQTT-3.1.2-8]", async () => {
    const topic = `wills/${uid()}`;
    await using watcher = await mqttjs(broker.url);
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    const raw = await withWill(broker.port, topic);
    await raw[Symbol.asyncDispose](); // socket destroyed, no DISCONNECT
    expect((await watcher.waitMessages(1))[0]).toMatchObject({ payload: `gone:${topic}`, qos: 1 });
  });

  test("is published on keepalive timeout", async () => {
    const topic = `wills/${uid()}`;
    await using watcher = await mqttjs(broker.url);
    await watcher.client.subscribeAsync(topic);
    await using raw = await withWill(broker.port, topic, { keepalive: 1 });
    await raw.waitClosed(4000);
    expect((await watcher.waitMessages(1))[0]?.payload).toBe(`gone:${topic}`);
  });

  test("is not published after DISCONNECT [MQTT-3.1.2-10]", async () => {
    const topic = `wills/${uid()}`;
    await using watcher = await mqttjs(broker.url);
    await watcher.client.subscribeAsync(`${topic}/#`);
    const raw = await withWill(broker.port, `${topic}/will`, { clean: false });
    raw.send({ cmd: "disconnect" });
    await raw.waitClosed();
    await broker.logged("client.closed", (r) => r.reason === "Client sent DISCONNECT");
    // Anything published after the close comes after where the will would have been.
    await using pub = await mqttjs(broker.url);
    await pub.client.publishAsync(`${topic}/after`, "after", { qos: 1 });
    expect((await watcher.waitMessages(1)).map((m) => m.topic)).toEqual([`${topic}/after`]);
  });

  test("is published when a new connection takes the client id over", async () => {
    const topic = `wills/${uid()}`;
    await using watcher = await mqttjs(broker.url);
    await watcher.client.subscribeAsync(topic);
    const clientId = `taken-${uid()}`;
    await using old = await RawClient.open(broker.port);
    await old.connect({
      clientId,
      will: { topic, payload: Buffer.from("old one"), qos: 0, retain: false },
    });
    await using _fresh = await mqttjs(broker.url, { clientId });
    await old.waitClosed();
    expect((await watcher.waitMessages(1))[0]?.payload).toBe("old one");
  });

  test("with RETAIN becomes the topic's retained message", async () => {
    const topic = `wills/${uid()}/status`;
    const raw = await withWill(broker.port, topic, { retain: true });
    await raw[Symbol.asyncDispose]();
    await broker.logged("will.published", (r) => r.subject === topic.replaceAll("/", "."));
    await using late = await mqttjs(broker.url);
    await late.client.subscribeAsync(topic);
    expect((await late.waitMessages(1))[0]).toMatchObject({
      payload: `gone:${topic}`,
      retain: true,
    });
  });

  test("an invalid will topic closes the connection without CONNACK", async () => {
    await using raw = await RawClient.open(broker.port);
    raw.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: `bad-will-${uid()}`,
      keepalive: 0,
      will: { topic: "a.b", payload: Buffer.from("x"), qos: 0, retain: false },
    });
    await raw.waitClosed();
    expect(raw.packets).toEqual([]);
    await broker.logged("client.closed", (r) => String(r.reason).startsWith("Invalid will topic"));
  });

  test("when an instance is killed (kill -9), a surviving one publishes its clients' wills once", async () => {
    const topic = `wills/${uid()}/dead`;
    await using watcher = await mqttjs(broker.url);
    await watcher.client.subscribeAsync(topic, { qos: 1 });

    const victim = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "../../src/main.ts"),
        ...[
          "--nats-url",
          nats.url,
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--ws-port",
          "0",
          "--monitor-port",
          "0",
        ],
        ...["--lease-ttl", `${LEASE_TTL_MS}ms`],
      ],
      { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
    );
    let out = "";
    void (async () => {
      for await (const chunk of victim.stdout) out += new TextDecoder().decode(chunk);
    })();
    const started = await waitFor(
      () => /"event":"broker.started".*?"mqtt":"127.0.0.1:(\d+)"/.exec(out),
      {
        timeoutMs: 20_000,
        what: "the second instance to start",
      },
    );
    const instance = /"instance":"([0-9a-f]+)"/.exec(out)?.[1] ?? "";
    await using _onVictim = await withWill(Number(started[1]), topic);

    victim.kill("SIGKILL");
    await victim.exited;
    const [will] = await watcher.waitMessages(1, 10_000);
    expect(will).toMatchObject({ payload: `gone:${topic}`, qos: 1 });

    // Once the dead instance is swept (its lease and will index gone), nothing more can come.
    // Its sweep is told by the survivor's log, whose lease and store events say why if it is late.
    await broker.logged("instance.lost", (r) => r.deadInstance === instance, 20_000).catch(
      (err) => {
        const why = broker.logs.filter((r) => /^(instance|lease|store)\./.test(String(r.event)));
        throw new Error(`${err.message}; survivor said: ${JSON.stringify(why.slice(-10))}`);
      },
    );
    const kvm = new Kvm(jetstream(await nats.client()));
    const leases = await kvm.open(INSTANCES_BUCKET);
    const wills = await kvm.open(WILLS_BUCKET);
    await waitFor(async () => {
      const lease = await leases.get(instance);
      const left = [];
      for await (const k of await wills.keys(`${instance}.*`)) left.push(k);
      return (lease === null || lease.operation !== "PUT") && left.length === 0;
    }, { timeoutMs: 10_000, what: "the dead instance to be swept" });
    expect(watcher.received.filter((m) => m.topic === topic)).toHaveLength(1);
    await broker.logged(
      "instance.lost",
      (r) => r.deadInstance === instance && r.willsPublished === 1,
    );
  });
});

describe("Last Will through a NATS outage", () => {
  test("a client lost while NATS is down for longer than the API timeout: its will is published once NATS is back", async () => {
    // Its own instance: requests unanswered for a second are failed and tried again.
    await using own = await startTestBroker(nats.url, { js_api_timeout: "1s" });
    const topic = `wills/${uid()}`;
    const options = { clean: false, reconnectPeriod: 200, connectTimeout: 10_000 };
    await using watcher = await mqttjs(own.url, { clientId: `watch-${uid()}`, ...options });
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    // One message through the watcher's consumer first, so that JetStream has written its state:
    // nats-server 2.9 recovers a durable consumer that never delivered anything from its deliver
    // policy ("new") and may then start after messages stored during its restart.
    await watcher.client.publishAsync(topic, "before", { qos: 1 });
    await watcher.waitMessages(1);
    const clientId = `lost-${uid()}`;
    const raw = await withWill(own.port, topic, { clean: false, clientId });
    const downs = own.logs.filter((r) => r.event === "nats.disconnect").length;
    await nats.pause();
    try {
      await waitFor(() => own.logs.filter((r) => r.event === "nats.disconnect").length > downs, {
        what: "jetmq to notice NATS is gone",
      });
      await raw[Symbol.asyncDispose](); // lost without DISCONNECT while nothing can be stored
      await Bun.sleep(1500); // outlasting the API timeout is the point, not a wait for an event
    } finally {
      await nats.resume();
    }
    const [, will] = await watcher.waitMessages(2, 20_000);
    expect(will).toMatchObject({ topic, payload: `gone:${topic}`, qos: 1 });
    // The session was released, not left owned by a dead connection.
    const closed = await own.logged("client.closed", (r) => r.clientId === clientId);
    expect(closed.reason).toBe("Connection lost");
    await using again = await RawClient.open(own.port);
    expect((await again.connect({ clientId, clean: false })).sessionPresent)
      .toBe(true);
    expect(watcher.received.filter((m) => m.payload === `gone:${topic}`)).toHaveLength(1);
  });
});

describe("Leases", () => {
  test("an instance renewing for a longer TTL is not judged dead by one with a shorter TTL", async () => {
    await using slow = await startTestBroker(nats.url, { lease_ttl: "6s" });
    const slowId = String(slow.logs.find((r) => r.event === "broker.started")?.instance);
    const leases = await new Kvm(jetstream(await nats.client())).open(INSTANCES_BUCKET);
    const renewals = await leases.watch({ key: slowId, include: "updates" });
    let seen = 0;
    void (async () => {
      for await (const e of renewals) if (e.operation === "PUT") seen++;
    })();
    // A renewal 2 s after the first: the 1 s judge had many beats to misjudge the lease meanwhile.
    await waitFor(() => seen >= 1, { timeoutMs: 10_000, what: "a renewal of the slow lease" });
    renewals.stop();
    expect(broker.logs.filter((r) => r.event === "instance.lost" && r.deadInstance === slowId))
      .toEqual([]);
  });
});
