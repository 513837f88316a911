import type { SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../handlers/connect.ts";
import { publish } from "../../handlers/publish.ts";
import { pubrel } from "../../handlers/qos2_acks.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import type { Effect } from "../../handlers/types.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";
import { waitFor } from "../helpers/wait.ts";
import { qos2Publish } from "../helpers/publishers.ts";

let env: HandlerEnv;
let strict: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
  strict = await handlerEnv({ limits: { maxGrantedQos: 1, rejectQos2Publish: true } });
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
  await strict[Symbol.asyncDispose]();
});

const uid = () => crypto.randomUUID().slice(0, 8);

async function session(
  on: HandlerEnv,
  connectionId: string,
  clientId = `q2-${uid()}`,
): Promise<SessionRef> {
  const fx = await connect(
    {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId,
      clean: false,
      keepalive: 0,
    },
    on.ctx(null, connectionId),
  );
  const b = fx[0];
  if (b?.kind !== "bind") throw new Error("not bound");
  return b.session;
}

const settled = async (
  fx: Effect[],
) => (fx[0]?.kind === "sendWhenStored" ? await fx[0].pending : fx[0]);

describe("QoS 2 handlers", () => {
  test("PUBLISH is held and answered PUBREC, a duplicate again, PUBREL releases it once [MQTT-4.3.3-2]", async () => {
    const s = await session(env, "c1");
    const topic = `q2/${uid()}`;
    const seen: Array<[string, string | undefined]> = [];
    env.nc.subscribe(topic.replace("/", "."), {
      callback: (_e, m) => void seen.push([m.string(), m.headers?.get("Nmqtt-Pub")]),
    });
    await env.nc.flush();
    expect(await settled(publish(qos2Publish(topic, "once", 9), env.ctx(s, "c1")))).toEqual({
      cmd: "pubrec",
      messageId: 9,
      reasonCode: 0,
    });
    expect(await settled(publish(qos2Publish(topic, "once", 9, true), env.ctx(s, "c1")))).toEqual({
      cmd: "pubrec",
      messageId: 9,
      reasonCode: 0,
    });
    await env.nc.flush();
    expect(seen).toEqual([]); // nothing before PUBREL
    expect(await settled(pubrel({ cmd: "pubrel", messageId: 9 }, env.ctx(s, "c1")))).toEqual({
      cmd: "pubcomp",
      messageId: 9,
      reasonCode: 0,
    });
    // Released already: PUBCOMP again, with 0x92 (packet identifier not found) for MQTT 5.
    expect(await settled(pubrel({ cmd: "pubrel", messageId: 9 }, env.ctx(s, "c1")))).toEqual({
      cmd: "pubcomp",
      messageId: 9,
      reasonCode: 0x92,
    });
    await waitFor(() => seen.length > 0, { what: "the released message" });
    await env.nc.flush();
    expect(seen).toEqual([["once", "2"]]);
  });

  test("PUBREL for an unknown packet id still gets PUBCOMP", async () => {
    const s = await session(env, "c2");
    expect(await settled(pubrel({ cmd: "pubrel", messageId: 4242 }, env.ctx(s, "c2")))).toEqual({
      cmd: "pubcomp",
      messageId: 4242,
      reasonCode: 0x92,
    });
  });

  test("a message held on one connection is released by the session's next one", async () => {
    const clientId = `roam-${uid()}`;
    const first = await session(env, "c3", clientId);
    const topic = `q2/${uid()}`;
    const seen: string[] = [];
    env.nc.subscribe(topic.replace("/", "."), { callback: (_e, m) => void seen.push(m.string()) });
    await env.nc.flush();
    await settled(publish(qos2Publish(topic, "moved", 3), env.ctx(first, "c3")));
    const second = await session(env, "c4", clientId);
    await settled(pubrel({ cmd: "pubrel", messageId: 3 }, env.ctx(second, "c4")));
    await waitFor(() => seen.length === 1, { what: "the released message" });
    expect(seen).toEqual(["moved"]);
  });

  test("reject_qos2_publish closes, downgrade_qos2_subscriptions grants 1", async () => {
    const s = await session(strict, "c5");
    expect(publish(qos2Publish("a", "x", 1), strict.ctx(s, "c5"))[0]).toMatchObject({
      kind: "close",
    });
    const fx = await subscribe(
      { cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "a/#", qos: 2 }] },
      strict.ctx(s, "c5"),
    );
    expect(fx.find((e) => e.kind === "send")).toMatchObject({ packet: { granted: [1] } });
    const open = await session(env, "c6");
    const granted = await subscribe(
      { cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "a/#", qos: 2 }] },
      env.ctx(open, "c6"),
    );
    expect(granted.find((e) => e.kind === "send")).toMatchObject({ packet: { granted: [2] } });
  });
});
