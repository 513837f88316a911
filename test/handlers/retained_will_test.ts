import type { SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnectPacket, IPublishPacket } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import { instanceLost } from "../../handlers/instance_lost.ts";
import { publish } from "../../handlers/publish.ts";
import type { Effect } from "../../handlers/types.ts";
import { RetainedStore } from "../../src/nats/retained.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";
import { waitFor } from "../helpers/wait.ts";

let env: HandlerEnv;
let retained: RetainedStore;
beforeAll(async () => {
  env = await handlerEnv();
  retained = new RetainedStore(env.store.js, env.store.jsm, env.store.api);
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

const uid = () => crypto.randomUUID().slice(0, 8);

async function settle(fx: Effect[]): Promise<unknown> {
  const e = fx[0];
  return e?.kind === "sendWhenStored" ? await e.pending : e;
}

const retainedPublish = (topic: string, payload: string, qos: 0 | 1): IPublishPacket => ({
  cmd: "publish",
  topic,
  payload: Buffer.from(payload),
  qos,
  dup: false,
  retain: true,
  messageId: qos ? 3 : undefined,
});

async function lookup(pattern: string) {
  const got: Array<[string, string, number]> = [];
  await retained.lookup(
    pattern,
    (m) => got.push([m.subject, new TextDecoder().decode(m.payload), m.qos]),
    () => Promise.resolve(),
  );
  return got.sort();
}

describe("retained and will handlers", () => {
  test("RETAIN keeps the last message per topic with its QoS; empty deletes it", async () => {
    const t = `r${uid()}`;
    expect(await settle(publish(retainedPublish(`${t}/a`, "1", 0), env.connected()))).toBeNull();
    expect(await settle(publish(retainedPublish(`${t}/a`, "2", 1), env.connected()))).toEqual({
      cmd: "puback",
      messageId: 3,
      reasonCode: 0,
    });
    await settle(publish(retainedPublish(`${t}/b/c`, "3", 0), env.connected()));
    await settle(publish(retainedPublish(`${t}/d`, "4", 0), env.connected()));
    await settle(publish(retainedPublish(`${t}/d`, "", 0), env.connected()));
    expect(await lookup(`${t}.>`)).toEqual([[`${t}.a`, "2", 1], [`${t}.b.c`, "3", 0]]);
    expect(await lookup(`${t}.*`)).toEqual([[`${t}.a`, "2", 1]]);
    expect(await lookup(`${t}.a`)).toEqual([[`${t}.a`, "2", 1]]);
    expect(await lookup(`${t}.d`)).toEqual([]);
  });

  async function withWill(
    clientId: string,
    clean: boolean,
    connectionId: string,
  ): Promise<SessionRef> {
    const p: IConnectPacket = {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId,
      clean,
      keepalive: 0,
      will: { topic: `w/${clientId}`, payload: Buffer.from("bye"), qos: 0, retain: false },
    };
    const fx = await connect(p, env.ctx(null, connectionId));
    const b = fx[0];
    if (b?.kind !== "bind") throw new Error("not bound");
    return b.session;
  }

  function listen(subject: string): string[] {
    const got: string[] = [];
    env.nc.subscribe(subject, { callback: (_e, m) => void got.push(m.string()) });
    return got;
  }

  test("CONNECT stores the will; an abnormal close publishes it once, DISCONNECT does not", async () => {
    const id = `w${uid()}`;
    const got = listen(`w.${id}`);
    await env.nc.flush();
    const s = await withWill(id, false, "c1");
    expect((await env.sessions.get(s.key))?.will).toMatchObject({ subject: `w.${id}`, qos: 0 });
    expect(await env.leases.sessionsWithWill("test-instance")).toContain(s.key);
    await connectionClosed({ reason: "socket error", graceful: false }, env.ctx(s, "c1"));
    await waitFor(() => got.length === 1, { what: "the will" });
    expect((await env.sessions.get(s.key))?.will).toBeNull();
    expect(await env.leases.sessionsWithWill("test-instance")).not.toContain(s.key);

    const again = await withWill(id, false, "c2");
    await connectionClosed({ reason: "DISCONNECT", graceful: true }, env.ctx(again, "c2"));
    await connectionClosed({ reason: "late", graceful: false }, env.ctx(again, "c2"));
    await env.nc.flush();
    expect(got).toEqual(["bye"]);
  });

  test("the wills of a lost instance go out once however many instances sweep", async () => {
    const id = `d${uid()}`;
    const got = listen(`w.${id}`);
    await env.nc.flush();
    const dead = { ...env.ctx(null, "dead-conn"), instanceId: "dead-instance" };
    await connect(
      {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId: id,
        clean: true,
        keepalive: 0,
        will: { topic: `w/${id}`, payload: Buffer.from("lost"), qos: 0, retain: false },
      },
      dead,
    );
    const counts = await Promise.all([
      instanceLost("dead-instance", env.ctx()),
      instanceLost("dead-instance", env.ctx()),
    ]);
    expect(counts[0] + counts[1]).toBe(1);
    await waitFor(() => got.length === 1, { what: "the will" });
    expect(await env.leases.sessionsWithWill("dead-instance")).toEqual([]);
  });
});
