import type { SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnectPacket } from "mqtt-packet";
import { connect, FLAP_WINDOW_MS } from "../../handlers/connect.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import type { Effect } from "../../handlers/types.ts";
import { sessionKey, takeoverSubject } from "../../src/nats/names.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";

let env: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

const packet = (over: Partial<IConnectPacket> = {}): IConnectPacket => ({
  cmd: "connect",
  protocolId: "MQTT",
  protocolVersion: 4,
  clientId: `c-${crypto.randomUUID().slice(0, 8)}`,
  clean: true,
  keepalive: 30,
  ...over,
});

const bound = (fx: Effect[]): SessionRef => {
  const b = fx.find((e) => e.kind === "bind");
  if (!b || b.kind !== "bind") throw new Error("no bind effect");
  return b.session;
};

describe("connect handler", () => {
  test("MQTT 3.1.1 is accepted and the session record is created in KV", async () => {
    const p = packet();
    const fx = await connect(p, env.ctx(null, "conn-a"));
    expect(fx[1]).toEqual({
      kind: "send",
      packet: { cmd: "connack", reasonCode: 0, returnCode: 0, sessionPresent: false },
    });
    const session = bound(fx);
    expect(session).toMatchObject({
      clientId: p.clientId,
      clean: true,
      keepalive: 30,
      protocolVersion: 4,
    });
    const record = await env.sessions.get(sessionKey(p.clientId));
    expect(record).toMatchObject({
      clientId: p.clientId,
      clean: true,
      owner: { connection: "conn-a" },
    });
  });

  test("MQTT 3.1 (MQIsdp, level 3) is accepted", async () => {
    const fx = await connect(packet({ protocolId: "MQIsdp", protocolVersion: 3 }), env.ctx());
    expect(fx[1]).toMatchObject({ packet: { cmd: "connack", returnCode: 0 } });
    expect(bound(fx).protocolVersion).toBe(3);
  });

  for (
    const [id, level] of [["MQTT", 6], ["MQTT", 3], ["MQIsdp", 4], ["MQIsdp", 5]] as const
  ) {
    test(`"${id}" level ${level} gets CONNACK 0x01 and a close [MQTT-3.1.2-2]`, async () => {
      const p = packet({ protocolId: id, protocolVersion: level as 4 });
      const fx = await connect(p, env.ctx());
      expect(fx[0]).toEqual({
        kind: "send",
        packet: { cmd: "connack", reasonCode: 0x84, returnCode: 1, sessionPresent: false },
      });
      expect(fx[1]).toMatchObject({ kind: "close" });
      expect(await env.sessions.get(sessionKey(p.clientId))).toBeNull();
    });
  }

  test('"MQTT" level 5 is accepted, or with mqtt5 off gets CONNACK 0x01 as a 3.1.1 server answers', async () => {
    const on = await connect(packet({ protocolVersion: 5 }), env.ctx());
    expect(on[1]).toMatchObject({ packet: { cmd: "connack", reasonCode: 0, returnCode: 0 } });
    const off = await connect(packet({ protocolVersion: 5 }), {
      ...env.ctx(),
      limits: { ...env.ctx().limits, mqtt5: false },
    });
    expect(off[0]).toMatchObject({ packet: { cmd: "connack", returnCode: 1 } });
    expect(off[1]).toMatchObject({ kind: "close" });
  });

  test("MQTT 5: Session Expiry Interval, capped by max_session_expiry and said in CONNACK", async () => {
    const fx = await connect(
      {
        ...packet({ protocolVersion: 5, clean: false }),
        props: { sessionExpiryInterval: 7200 },
      } as IConnectPacket,
      { ...env.ctx(), limits: { ...env.ctx().limits, maxSessionExpiry: 3600 } },
    );
    expect(bound(fx)).toMatchObject({ clean: false, expiry: 3600 });
    expect(fx[1]).toMatchObject({ packet: { props: { sessionExpiryInterval: 3600 } } });
  });

  test("MQTT 5: an authentication method is refused with 0x8C", async () => {
    const fx = await connect(
      {
        ...packet({ protocolVersion: 5 }),
        props: { authenticationMethod: "SCRAM-SHA-1" },
      } as IConnectPacket,
      env.ctx(),
    );
    expect(fx[0]).toMatchObject({ packet: { cmd: "connack", reasonCode: 0x8c } });
    expect(fx[1]).toMatchObject({ kind: "close" });
  });

  test("an empty client id with clean=0 gets CONNACK 0x02 [MQTT-3.1.3-8]", async () => {
    const fx = await connect(packet({ clientId: "", clean: false }), env.ctx());
    expect(fx[0]).toMatchObject({ packet: { cmd: "connack", returnCode: 2 } });
    expect(fx[1]).toMatchObject({ kind: "close" });
    expect(await env.sessions.get(sessionKey(""))).toBeNull();
  });

  test("an empty client id with clean=1 gets a generated id [MQTT-3.1.3-6]", async () => {
    const a = bound(await connect(packet({ clientId: "" }), env.ctx()));
    const b = bound(await connect(packet({ clientId: "" }), env.ctx()));
    expect(a.clientId).toMatch(/^jetmq-/);
    expect(a.clientId).not.toBe(b.clientId);
    expect(await env.sessions.get(a.key)).toMatchObject({ clientId: a.clientId });
  });

  test("a persistent session is present on reconnect and its subscriptions restored [MQTT-3.2.2-2]", async () => {
    const clientId = `p-${crypto.randomUUID().slice(0, 8)}`;
    const first = await connect(packet({ clientId, clean: false }), env.ctx(null, "conn-1"));
    expect(first[1]).toMatchObject({ packet: { sessionPresent: false } });
    await env.sessions.update(sessionKey(clientId), "conn-1", (r) => ({
      ...r,
      subscriptions: { "foo/#": 0, "a/+": 1 },
    }));
    const second = await connect(packet({ clientId, clean: false }), env.ctx(null, "conn-2"));
    expect(second[1]).toMatchObject({ packet: { returnCode: 0, sessionPresent: true } });
    expect(second[2]).toEqual({
      kind: "subscribe",
      resume: true,
      restored: true,
      grants: [
        { filter: "foo/#", qos: 0, subjects: ["foo.>", "foo"], stored: false },
        { filter: "a/+", qos: 1, subjects: ["a.*"], stored: true },
      ],
    });
    expect(bound(second).generation).toBeGreaterThan(bound(first).generation);
  });

  test("clean=1 discards a stored persistent session [MQTT-3.1.2-6]", async () => {
    const clientId = `p-${crypto.randomUUID().slice(0, 8)}`;
    await connect(packet({ clientId, clean: false }), env.ctx(null, "conn-1"));
    await env.sessions.update(
      sessionKey(clientId),
      "conn-1",
      (r) => ({ ...r, subscriptions: { x: 0 } }),
    );
    const fx = await connect(packet({ clientId, clean: true }), env.ctx(null, "conn-2"));
    expect(fx[1]).toMatchObject({ packet: { sessionPresent: false } });
    expect(fx.some((e) => e.kind === "subscribe")).toBe(false);
    expect((await env.sessions.get(sessionKey(clientId)))?.subscriptions).toEqual({});
  });

  test("taking over a client id asks the previous owner's instance to let go [MQTT-3.1.4-2]", async () => {
    const clientId = `t-${crypto.randomUUID().slice(0, 8)}`;
    const seen: Array<{ key: string; generation: number }> = [];
    const sub = env.nc.subscribe(takeoverSubject("test-instance"), {
      callback: (_e, m) => {
        seen.push(m.json<{ key: string; generation: number }>());
        m.respond();
      },
    });
    await env.nc.flush();
    bound(await connect(packet({ clientId }), env.ctx(null, "conn-1")));
    expect(seen).toEqual([]);
    const second = bound(await connect(packet({ clientId }), env.ctx(null, "conn-2")));
    // Answered before CONNECT went on: the notice is there already.
    expect(seen).toEqual([{ key: sessionKey(clientId), generation: second.generation }]);
    sub.unsubscribe();
  });

  test("a previous owner that answers late is asked again: a drained connection's will stays unpublished", async () => {
    const clientId = `l-${crypto.randomUUID().slice(0, 8)}`;
    const willTopic = `late-will/${clientId}`;
    const wills: string[] = [];
    const willSub = env.nc.subscribe(willTopic.replace("/", "."), {
      callback: (_e, m) => void wills.push(m.string()),
    });
    let notices = 0;
    // The first notice goes unanswered, as a busy draining instance's might.
    const sub = env.nc.subscribe(takeoverSubject("test-instance"), {
      callback: (_e, m) => {
        if (++notices > 1) m.respond(new TextEncoder().encode("drained"));
      },
    });
    await env.nc.flush();
    const will = { topic: willTopic, payload: Buffer.from("gone"), qos: 0 as const, retain: false };
    bound(await connect(packet({ clientId, will }), env.ctx(null, "conn-1")));
    bound(await connect(packet({ clientId }), env.ctx(null, "conn-2")));
    await env.nc.flush();
    expect(notices).toBe(2);
    expect(wills).toEqual([]);
    expect(env.logs.find((r) => r.event === "takeover.slow" && r.clientId === clientId))
      .toMatchObject({ answer: "drained", instance: "test-instance" });
    sub.unsubscribe();
    willSub.unsubscribe();
  });

  test("concurrent CONNECTs with one client id get distinct generations or wait (compare-and-set)", async () => {
    const clientId = `r-${crypto.randomUUID().slice(0, 8)}`;
    const results = await Promise.all(
      Array.from(
        { length: 5 },
        (_, i) => connect(packet({ clientId }), env.ctx(null, `conn-${i}`)),
      ),
    );
    const accepted = results.filter((fx) => fx[0]?.kind === "bind");
    const deferred = results.filter((fx) => fx[0]?.kind === "defer");
    expect(accepted.length + deferred.length).toBe(5);
    // The first claim and one takeover go through; a third claim within the second is flapping.
    expect(accepted.length).toBe(2);
    const generations = new Set(accepted.map((fx) => bound(fx).generation));
    expect(generations.size).toBe(2);
    const record = await env.sessions.get(sessionKey(clientId));
    const winner = accepted.reduce((a, b) => (bound(a).generation > bound(b).generation ? a : b));
    expect(record?.owner?.connection).toBe(`conn-${results.indexOf(winner)}`);
  });

  test("a client id taken over again within a second waits instead of flapping", async () => {
    const clientId = `f-${crypto.randomUUID().slice(0, 8)}`;
    bound(await connect(packet({ clientId }), env.ctx(null, "conn-a")));
    bound(await connect(packet({ clientId }), env.ctx(null, "conn-b")));
    const third = await connect(packet({ clientId }), env.ctx(null, "conn-a2"));
    expect(third).toEqual([{
      kind: "defer",
      ms: FLAP_WINDOW_MS,
      reason: expect.stringContaining("taken over"),
    }]);
    expect((await env.sessions.get(sessionKey(clientId)))?.owner?.connection).toBe("conn-b");
  });

  test("reconnecting after the previous connection ended is no takeover and never waits", async () => {
    const clientId = `n-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) {
      const s = bound(
        await connect(packet({ clientId, clean: false }), env.ctx(null, `conn-${i}`)),
      );
      await connectionClosed({ reason: "gone", graceful: false }, env.ctx(s, `conn-${i}`));
    }
    expect((await env.sessions.get(sessionKey(clientId)))?.owner).toBeNull();
  });
});

describe("connect handler: CONNECT rules the decoded packet shows", () => {
  const will = { topic: "w/t", payload: Buffer.from("x"), qos: 0 as const, retain: false };
  const broken: Array<[string, Partial<IConnectPacket>, RegExp]> = [
    ["Will QoS 3", { will: { ...will, qos: 3 as 0 } }, /Will QoS is 3 \[MQTT-3\.1\.2-14\]/],
    [
      "a password without a user name",
      { password: Buffer.from("pw") },
      /Password Flag is 1 while the User Name Flag is 0 \[MQTT-3\.1\.2-22\]/,
    ],
    ["U+0000 in the client id", { clientId: "a\u0000b" }, /client id holds U\+0000/],
    ["U+0000 in the will topic", { will: { ...will, topic: "w/\u0000" } }, /\[MQTT-1\.5\.3-2\]/],
    ["U+0000 in the user name", { username: "u\u0000" }, /user name holds U\+0000/],
    ["a wildcard in the will topic", { will: { ...will, topic: "w/#" } }, /will topic/],
  ];
  for (const [name, over, reason] of broken) {
    test(`${name}: closed as a protocol error, no CONNACK, nothing stored`, async () => {
      const p = packet(over);
      const fx = await connect(p, env.ctx());
      expect(fx).toEqual([{
        kind: "close",
        reason: expect.stringMatching(reason),
        violation: true,
      }]);
      expect(await env.sessions.get(sessionKey(p.clientId))).toBeNull();
    });
  }

  test("a bridge CONNECT (level 0x84) gets CONNACK 0x01 like any other unknown level [MQTT-3.1.2-2]", async () => {
    const fx = await connect(packet({ protocolVersion: 0x84 as 4 }), env.ctx());
    expect(fx[0]).toMatchObject({ packet: { cmd: "connack", returnCode: 1 } });
  });

  test("U+FFFD is a character like any other in a client id", async () => {
    const fx = await connect(packet({ clientId: `repl-\uFFFD-${crypto.randomUUID()}` }), env.ctx());
    expect(fx[1]).toMatchObject({ packet: { cmd: "connack", returnCode: 0 } });
  });

  test("a user name with a password, and a user name alone, are accepted [MQTT-3.1.2-19]", async () => {
    for (const over of [{ username: "u", password: Buffer.from("p") }, { username: "u" }]) {
      const fx = await connect(packet(over), env.ctx());
      expect(fx[1]).toMatchObject({ packet: { cmd: "connack", returnCode: 0 } });
    }
  });
});
