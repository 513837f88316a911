import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnectPacket } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import { instanceLost } from "../../handlers/instance_lost.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import { unsubscribe } from "../../handlers/unsubscribe.ts";
import type { SessionRef } from "../../src/mqtt/session.ts";
import {
  MESSAGES_STREAM,
  shareConsumerName,
  shareGroupKey,
  shareIndexKey,
} from "../../src/nats/names.ts";
import type { ShareGroupRecord } from "../../src/nats/share_groups.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";

// The subscribe, unsubscribe and end-of-session handlers against a real NATS: what a shared
// subscription leaves in JetStream (its group's members and consumers) at each step.

let env: HandlerEnv;
let v3Off: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
  v3Off = await handlerEnv({ limits: { sharedSubscriptionsV3: false } });
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
  await v3Off[Symbol.asyncDispose]();
});

const uid = () => crypto.randomUUID().slice(0, 8);

/** CONNECT of `clientId` (a fresh one by default) on `connectionId`: its session. */
async function session(
  e: HandlerEnv,
  clean: boolean,
  connectionId = "conn-1",
  clientId = `sh-${uid()}`,
): Promise<SessionRef> {
  const p: IConnectPacket = {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clientId,
    clean,
    keepalive: 0,
  };
  const fx = await connect(p, e.ctx(null, connectionId));
  const b = fx[0];
  if (b?.kind !== "bind") throw new Error("not bound");
  return b.session;
}

const sub = (s: SessionRef, topic: string, qos: 0 | 1 | 2 = 1, e = env, connectionId = "conn-1") =>
  subscribe(
    { cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos }] },
    e.ctx(s, connectionId),
  );

async function members(shared: string): Promise<Record<string, string> | null> {
  const entry = await env.store.shares.get(shareGroupKey(shared));
  if (!entry || entry.value.length === 0) return null;
  return (JSON.parse(new TextDecoder().decode(entry.value)) as ShareGroupRecord).members;
}

async function consumerExists(shared: string, subject: string): Promise<boolean> {
  try {
    await env.store.jsm.consumers.info(MESSAGES_STREAM, shareConsumerName(shared, subject));
    return true;
  } catch {
    return false;
  }
}

describe("shared subscriptions in the handlers", () => {
  test("a persistent member joins the group (its consumers exist before SUBACK); UNSUBSCRIBE of the last member removes the group and its consumers", async () => {
    const topic = `jobs/${uid()}/#`;
    const shared = `$share/w/${topic}`;
    const subjects = [
      topic.replace(/\//g, ".").replace(/#$/, ">"),
      topic.slice(0, -2).replace(/\//g, "."),
    ];
    const s = await session(env, false);
    const fx = await sub(s, shared);
    expect(fx).toEqual([
      {
        kind: "subscribe",
        grants: [{
          filter: shared,
          qos: 1,
          subjects,
          stored: false,
          share: { name: "w", filter: topic },
        }],
        retained: false,
      },
      { kind: "send", packet: { cmd: "suback", messageId: 1, granted: [1] } },
    ]);
    expect(await members(shared)).toEqual({ [s.key]: "" });
    for (const subject of subjects) expect(await consumerExists(shared, subject)).toBe(true);
    // The record keeps it, so a resume anywhere restores the membership.
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({ [shared]: 1 });

    const fx2 = await unsubscribe({ cmd: "unsubscribe", messageId: 2, unsubscriptions: [shared] }, {
      ...env.ctx(s),
      subscribed: () => true,
    });
    expect(fx2[0]).toEqual({ kind: "unsubscribe", filters: [shared] });
    expect(await members(shared)).toBeNull();
    for (const subject of subjects) expect(await consumerExists(shared, subject)).toBe(false);
  });

  test("a clean member is listed with its instance and leaves when its connection ends; the group stays while another member is in it", async () => {
    const shared = `$share/c/${uid()}`;
    const s1 = await session(env, true, "c1");
    const s2 = await session(env, false, "c2");
    await sub(s1, shared, 0, env, "c1");
    await sub(s2, shared, 1, env, "c2");
    expect(await members(shared)).toEqual({ [s1.key]: "test-instance/c1", [s2.key]: "" });
    expect(await env.store.shares.get(shareIndexKey("test-instance", shared))).not.toBeNull();
    await connectionClosed({ reason: "gone", graceful: true, shares: [shared] }, env.ctx(s1, "c1"));
    expect(await members(shared)).toEqual({ [s2.key]: "" });
    // No member of this instance's is left in that group: its index entry goes too.
    expect(await env.store.shares.get(shareIndexKey("test-instance", shared))).toBeNull();
    expect(await consumerExists(shared, shared.slice("$share/c/".length))).toBe(true);
  });

  test("a clean member taken over: the old connection's end leaves the new connection's membership alone", async () => {
    const shared = `$share/to/${uid()}`;
    const s = await session(env, true, "old");
    await sub(s, shared, 0, env, "old");
    // The same client id again, on another connection, joining the same group.
    const taken = await session(env, true, "new", s.clientId);
    await sub(taken, shared, 0, env, "new");
    await connectionClosed(
      { reason: "taken over", graceful: false, shares: [shared] },
      env.ctx(s, "old"),
    );
    expect(await members(shared)).toEqual({ [s.key]: "test-instance/new" });
    await connectionClosed(
      { reason: "bye", graceful: true, shares: [shared] },
      env.ctx(taken, "new"),
    );
    expect(await members(shared)).toBeNull();
  });

  test("an instance lost: its members whose sessions ended with it leave; the last one out removes the group", async () => {
    const shared = `$share/lost/${uid()}`;
    const dead = `dead${uid()}`;
    const s = await session(env, true, "d1");
    await subscribe(
      { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: shared, qos: 1 }] },
      { ...env.ctx(s, "d1"), instanceId: dead },
    );
    expect(await members(shared)).toEqual({ [s.key]: `${dead}/d1` });
    await instanceLost(dead, env.ctx());
    expect(await members(shared)).toBeNull();
    expect(await consumerExists(shared, shared.slice("$share/lost/".length))).toBe(false);
    expect(await env.store.shares.get(shareIndexKey(dead, shared))).toBeNull();
  });

  test("a clean start discards a persistent member's session and with it its membership", async () => {
    const shared = `$share/cs/${uid()}`;
    const s = await session(env, false);
    await sub(s, shared);
    expect(await members(shared)).toEqual({ [s.key]: "" });
    await connectionClosed({ reason: "bye", graceful: true }, env.ctx(s));
    await session(env, true, "conn-2", s.clientId);
    expect(await members(shared)).toBeNull();
  });

  test("with shared_subscriptions_v3 off, a 3.1.1 client's $share/… is an ordinary filter", async () => {
    const s = await session(v3Off, true);
    const fx = await sub(s, "$share/g/plain", 0, v3Off);
    expect(fx[0]).toEqual({
      kind: "subscribe",
      grants: [{ filter: "$share/g/plain", qos: 0, subjects: ["$share.g.plain"], stored: false }],
      retained: true,
    });
  });
});
