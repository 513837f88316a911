import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";
import { allTransports, TRANSPORTS } from "./transports.ts";

let nats: TestNats;
let broker: TestBroker;
beforeAll(async () => {
  nats = await startNats();
  broker = await startTestBroker(nats.url, allTransports());
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
});

for (const transport of TRANSPORTS) {
  describe(`pub/sub over ${transport.name}`, () => {
    test("MQTT.js publisher reaches MQTT.js subscriber, both ways", async () => {
      await using a = await mqttjs(transport.url(broker));
      await using b = await mqttjs(transport.url(broker));
      await a.client.subscribeAsync("chat/a");
      await b.client.subscribeAsync("chat/b");
      await a.client.publishAsync("chat/b", "to b");
      await b.client.publishAsync("chat/a", "to a");
      expect((await a.waitMessages(1))[0]).toEqual({
        topic: "chat/a",
        payload: "to a",
        qos: 0,
        retain: false,
      });
      expect((await b.waitMessages(1))[0]).toEqual({
        topic: "chat/b",
        payload: "to b",
        qos: 0,
        retain: false,
      });
    });

    test("foo/# receives foo, foo/bar and foo/bar/baz but not foobar", async () => {
      await using sub = await mqttjs(transport.url(broker));
      await using pub = await mqttjs(transport.url(broker));
      await sub.client.subscribeAsync("foo/#");
      for (const t of ["foo", "foobar", "foo/bar", "foo/bar/baz"]) {
        await pub.client.publishAsync(t, t);
      }
      await pub.client.publishAsync("foo/end", "end");
      const got = await sub.waitMessages(4);
      expect(got.map((m) => m.topic)).toEqual(["foo", "foo/bar", "foo/bar/baz", "foo/end"]);
    });

    test("a client publishing to its own subscription receives the message (no no-local in 3.1.1)", async () => {
      await using c = await mqttjs(transport.url(broker));
      await c.client.subscribeAsync("self/+");
      await c.client.publishAsync("self/x", "echo");
      expect((await c.waitMessages(1))[0]?.payload).toBe("echo");
    });

    test("overlapping subscriptions of one client deliver each message once", async () => {
      await using sub = await mqttjs(transport.url(broker));
      await using pub = await mqttjs(transport.url(broker));
      await sub.client.subscribeAsync(["ov/#", "ov/+", "ov/x", "#"]);
      await pub.client.publishAsync("ov/x", "1");
      await pub.client.publishAsync("ov/y/z", "2");
      await pub.client.publishAsync("other", "3");
      await pub.client.publishAsync("ov", "4");
      await sub.waitMessages(4);
      await pub.client.publishAsync("ov/last", "5");
      const got = await sub.waitMessages(5);
      expect(got.map((m) => m.payload)).toEqual(["1", "2", "3", "4", "5"]);
    });

    test("many local subscribers of one filter share one NATS subscription", async () => {
      // The clients of earlier tests are gone once their connections have ended.
      await waitFor(async () => (await broker.varz()).connections === 0, {
        what: "earlier clients to go",
      });
      const before = (await broker.varz()).nats_subscriptions;
      const subs = await Promise.all(
        Array.from({ length: 5 }, () => mqttjs(transport.url(broker))),
      );
      for (const s of subs) await s.client.subscribeAsync("shared/topic");
      expect((await broker.varz()).nats_subscriptions).toBe(before + 1);
      await using pub = await mqttjs(transport.url(broker));
      await pub.client.publishAsync("shared/topic", "all");
      for (const s of subs) expect((await s.waitMessages(1))[0]?.payload).toBe("all");
      for (const s of subs) await s[Symbol.asyncDispose]();
      await waitFor(async () => (await broker.varz()).nats_subscriptions === before, {
        what: "the shared subscription to go",
      });
    });

    test("UNSUBSCRIBE stops delivery", async () => {
      await using sub = await mqttjs(transport.url(broker));
      await using pub = await mqttjs(transport.url(broker));
      await sub.client.subscribeAsync(["un/a", "un/b"]);
      await sub.client.unsubscribeAsync("un/a");
      await pub.client.publishAsync("un/a", "gone");
      await pub.client.publishAsync("un/b", "kept");
      expect((await sub.waitMessages(1)).map((m) => m.payload)).toEqual(["kept"]);
    });

    test("wildcard filters never match $ topics; a $ filter does [MQTT-4.7.2-1]", async () => {
      await using wild = await mqttjs(transport.url(broker));
      await using dollar = await mqttjs(transport.url(broker));
      await using pub = await mqttjs(transport.url(broker));
      await wild.client.subscribeAsync(["#", "+/status"]);
      await dollar.client.subscribeAsync("$devices/#");
      await pub.client.publishAsync("$devices/status", "hidden");
      await pub.client.publishAsync("plain/status", "seen");
      expect((await dollar.waitMessages(1))[0]?.topic).toBe("$devices/status");
      const got = await wild.waitMessages(1);
      expect(got.map((m) => m.topic)).toEqual(["plain/status"]);
    });

    test("a persistent session keeps its subscriptions across reconnects [MQTT-3.2.2-2]", async () => {
      const clientId = `persist-${crypto.randomUUID().slice(0, 6)}`;
      const url = transport.url(broker);
      {
        await using first = await mqttjs(url, { clientId, clean: false });
        expect(first.client.connected).toBe(true);
        await first.client.subscribeAsync("persist/+");
      }
      await using again = await mqttjs(url, { clientId, clean: false });
      await using pub = await mqttjs(url);
      await waitFor(async () => (await broker.varz()).nats_subscriptions > 0, {
        what: "restored subscription",
      });
      await pub.client.publishAsync("persist/x", "restored");
      expect((await again.waitMessages(1))[0]?.payload).toBe("restored");
    });

    test("CONNACK's session-present flag follows the stored session [MQTT-3.2.2-2]", async () => {
      const clientId = `sp-${crypto.randomUUID().slice(0, 6)}`;
      const present: boolean[] = [];
      for (const clean of [false, false, true, false]) {
        await using c = await mqttjs(transport.url(broker), { clientId, clean });
        present.push(c.connack.sessionPresent);
      }
      expect(present).toEqual([false, true, false, false]);
    });
  });
}

describe("across transports", () => {
  test("a WebSocket subscriber receives a TCP publisher's messages, and a TLS one a WebSocket publisher's", async () => {
    const [tcp, tls, ws] = TRANSPORTS.map((t) => t.url(broker));
    await using wsSub = await mqttjs(ws as string);
    await using tlsSub = await mqttjs(tls as string);
    await wsSub.client.subscribeAsync("cross/from-tcp");
    await tlsSub.client.subscribeAsync("cross/from-ws");
    await using tcpPub = await mqttjs(tcp as string);
    await tcpPub.client.publishAsync("cross/from-tcp", "over tcp");
    await wsSub.client.publishAsync("cross/from-ws", "over ws");
    expect((await wsSub.waitMessages(1))[0]?.payload).toBe("over tcp");
    expect((await tlsSub.waitMessages(1))[0]?.payload).toBe("over ws");
  });
});
