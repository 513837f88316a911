import { describe, expect, test } from "bun:test";
import type { IPublishPacket } from "mqtt-packet";
import { startTestBroker, type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { publishQos1 } from "../helpers/publishers.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: TestNats;
let a: TestBroker;
let b: TestBroker;
useInstances(2, {}, (n, [first, second]) => {
  nats = n;
  a = first as TestBroker;
  b = second as TestBroker;
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** Creates a persistent session with a QoS 1 subscription on `on`, then leaves. */
async function sessionWith(on: TestBroker, clientId: string, filter: string): Promise<void> {
  await using c = await mqttjs(on.url, { clientId, clean: false });
  await c.client.subscribeAsync(filter, { qos: 1 });
}

describe("persistent sessions across instances and restarts", () => {
  test("a session made on one instance resumes on another with its queued messages", async () => {
    const clientId = `roam-${uid()}`;
    await sessionWith(a, clientId, "roam/#");
    await publishQos1(a.port, "roam/x", 200);
    await using onB = await mqttjs(b.url, { clientId, clean: false });
    expect(onB.connack.sessionPresent).toBe(true);
    const got = await onB.waitMessages(200, 20_000);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  test("unacknowledged messages sent on one instance are resent on the other with the same ids [MQTT-4.4.0-1]", async () => {
    const clientId = `half-${uid()}`;
    await sessionWith(a, clientId, "half/#");
    const first = await RawClient.open(a.port);
    await first.connect({ clientId, clean: false });
    await publishQos1(a.port, "half/x", 4);
    const sent = (await first.waitCount("publish", 4)) as IPublishPacket[];
    first.send({ cmd: "puback", messageId: sent[0]?.messageId });
    first.send({ cmd: "puback", messageId: sent[2]?.messageId });
    first.close();
    await first.waitClosed();

    await using onB = await RawClient.open(b.port);
    expect(await onB.connect({ clientId, clean: false })).toMatchObject({ sessionPresent: true });
    const resent = (await onB.waitCount("publish", 2, 3000)) as IPublishPacket[];
    expect(resent.map((p) => [p.payload.toString(), p.dup, p.messageId])).toEqual([
      ["1", true, sent[1]?.messageId],
      ["3", true, sent[3]?.messageId],
    ]);
  });

  test("taking a session over from another instance moves its unacknowledged messages along", async () => {
    const clientId = `move-${uid()}`;
    await sessionWith(a, clientId, "move/#");
    await using onA = await RawClient.open(a.port);
    await onA.connect({ clientId, clean: false });
    await publishQos1(a.port, "move/x", 3);
    await onA.waitCount("publish", 3);
    await using onB = await RawClient.open(b.port);
    await onB.connect({ clientId, clean: false });
    await onA.waitClosed();
    const got = (await onB.waitCount("publish", 3, 3000)) as IPublishPacket[];
    expect(got.map((p) => p.payload.toString())).toEqual(["0", "1", "2"]);
  });

  test("queued messages survive a restart of jetmq and of nats-server", async () => {
    const clientId = `durable-${uid()}`;
    const first = await startTestBroker(nats.url);
    await sessionWith(first, clientId, "durable/#");
    await publishQos1(first.port, "durable/x", 100);
    await first.stop();
    const cleanQos1 = await mqttjs(a.url);
    await cleanQos1.client.subscribeAsync("durable/clean", { qos: 1 });
    let cleanClosed = false;
    cleanQos1.client.on("close", () => (cleanClosed = true));

    await nats.restart();
    // It could have missed QoS 1 messages while NATS was away: it was told by a close.
    await waitFor(() => cleanClosed, { what: "the clean QoS 1 client to be closed" });
    await a.logged("client.closed", (r) => String(r.reason).startsWith("NATS connection lost"));
    // The instances that stayed up reconnect to NATS by themselves.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${a.monitorPort}/healthz`)).ok, {
      timeoutMs: 10_000,
      what: "instance A to reconnect to NATS",
    });
    await using second = await startTestBroker(nats.url);
    await using back = await mqttjs(second.url, { clientId, clean: false });
    expect(back.connack.sessionPresent).toBe(true);
    const got = await back.waitMessages(100, 20_000);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));

    // A client of an instance that lived through the NATS restart is served as before.
    await using onA = await mqttjs(a.url, { clientId: `after-${uid()}`, clean: false });
    await onA.client.subscribeAsync("durable/after", { qos: 1 });
    await publishQos1(b.port, "durable/after", 1);
    expect((await onA.waitMessages(1))[0]?.payload).toBe("0");
  });
});
