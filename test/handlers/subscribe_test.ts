import type { Grant, SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnectPacket } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import { disconnect } from "../../handlers/disconnect.ts";
import { pingreq } from "../../handlers/ping.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import { unsubscribe } from "../../handlers/unsubscribe.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";

let env: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

/** Runs CONNECT for a fresh client id and returns its session. */
async function session(clean: boolean, connectionId = "conn-1"): Promise<SessionRef> {
  const p: IConnectPacket = {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clientId: `s-${crypto.randomUUID().slice(0, 8)}`,
    clean,
    keepalive: 0,
  };
  const fx = await connect(p, env.ctx(null, connectionId));
  const b = fx[0];
  if (b?.kind !== "bind") throw new Error("not bound");
  return b.session;
}

describe("subscribe handler", () => {
  test("each filter is granted or refused on its own; SUBACK lists them in order", async () => {
    const s = await session(true);
    const fx = await subscribe({
      cmd: "subscribe",
      messageId: 5,
      subscriptions: [
        { topic: "foo/#", qos: 0 },
        { topic: "bad.filter", qos: 0 },
        { topic: "a/+/c", qos: 1 },
        { topic: "x/#/y", qos: 0 },
        { topic: "$JETMQ/#", qos: 0 },
      ],
    }, env.ctx(s));
    const grants: Grant[] = [
      { filter: "foo/#", qos: 0, subjects: ["foo.>", "foo"], stored: false },
      { filter: "a/+/c", qos: 1, subjects: ["a.*.c"], stored: false },
    ];
    expect(fx).toEqual([
      { kind: "subscribe", grants, retained: true },
      { kind: "send", packet: { cmd: "suback", messageId: 5, granted: [0, 0x8f, 1, 0x8f, 0x8f] } },
      { kind: "sendRetained", grants },
    ]);
    expect(env.logs.filter((r) => r.event === "subscribe.refused").map((r) => r.filter))
      .toEqual(expect.arrayContaining(["bad.filter", "x/#/y", "$JETMQ/#"]));
  });

  test("a persistent session stores its filters in the session record", async () => {
    const s = await session(false);
    await subscribe(
      { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/b", qos: 0 }] },
      env.ctx(s),
    );
    await subscribe(
      { cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "c/#", qos: 1 }] },
      env.ctx(s),
    );
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({ "a/b": 0, "c/#": 1 });
    env.liveFilters.add("a/b");
    const fx = await unsubscribe({
      cmd: "unsubscribe",
      messageId: 3,
      unsubscriptions: ["a/b", "never"],
    }, env.ctx(s));
    env.liveFilters.clear();
    // MQTT 5's UNSUBACK says which filter had no subscription (0x11); 3.1.1's says nothing.
    expect(fx).toEqual([
      { kind: "unsubscribe", filters: ["a/b", "never"] },
      { kind: "send", packet: { cmd: "unsuback", messageId: 3, granted: [0, 0x11] } },
    ]);
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({ "c/#": 1 });
  });

  test("a clean session does not write its subscriptions to KV", async () => {
    const s = await session(true);
    const before = await env.store.sessions.get(s.key);
    await subscribe(
      { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/b", qos: 0 }] },
      env.ctx(s),
    );
    expect((await env.store.sessions.get(s.key))?.revision).toBe(before?.revision as number);
  });

  test("a connection whose session was taken over is closed instead of writing [MQTT-3.1.4-2]", async () => {
    const s = await session(false, "conn-old");
    // Another connection claims the same client id.
    await connect({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: s.clientId,
      clean: false,
    }, env.ctx(null, "conn-new"));
    const fx = await subscribe({
      cmd: "subscribe",
      messageId: 1,
      subscriptions: [{ topic: "z", qos: 0 }],
    }, env.ctx(s, "conn-old"));
    expect(fx).toEqual([{
      kind: "close",
      reason: "Session taken over by a newer connection [MQTT-3.1.4-2]",
      graceful: false,
      code: 0x8e,
    }]);
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({});
  });
});

describe("ping, disconnect and close handlers", () => {
  test("PINGREQ is answered with PINGRESP [MQTT-3.12.4-1]", () => {
    expect(pingreq({ cmd: "pingreq" }, env.connected())).toEqual([{
      kind: "send",
      packet: { cmd: "pingresp" },
    }]);
  });

  test("DISCONNECT closes gracefully", () => {
    expect(disconnect({ cmd: "disconnect" }, env.connected())).toEqual([
      { kind: "close", reason: "Client sent DISCONNECT", graceful: true, ending: {} },
    ]);
  });

  test("a clean session's record is deleted when its connection ends [MQTT-3.1.2-6]", async () => {
    const s = await session(true, "conn-1");
    await connectionClosed({ reason: "gone", graceful: false }, env.ctx(s, "conn-1"));
    expect(await env.sessions.get(s.key)).toBeNull();
  });

  test("an old connection ending does not delete the session a newer one owns", async () => {
    const s = await session(true, "conn-old");
    await connect({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: s.clientId,
      clean: true,
    }, env.ctx(null, "conn-new"));
    await connectionClosed({ reason: "taken over", graceful: false }, env.ctx(s, "conn-old"));
    expect((await env.sessions.get(s.key))?.owner?.connection).toBe("conn-new");
  });

  test("a persistent session's record outlives its connection", async () => {
    const s = await session(false, "conn-1");
    await connectionClosed({ reason: "gone", graceful: true }, env.ctx(s, "conn-1"));
    expect(await env.sessions.get(s.key)).toMatchObject({ clientId: s.clientId, clean: false });
  });
});
