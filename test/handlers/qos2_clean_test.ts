import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { publish } from "../../handlers/publish.ts";
import { pubrel } from "../../handlers/qos2_acks.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import type { Effect, SessionContext } from "../../handlers/types.ts";
import { ConnectionQos2 } from "../../src/front/connection_qos2.ts";
import { qos2Key } from "../../src/nats/names.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";
import { waitFor } from "../helpers/wait.ts";
import { qos2Publish } from "../helpers/publishers.ts";

let env: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

const uid = () => crypto.randomUUID().slice(0, 8);

const answer = async (fx: Effect[]) =>
  fx[0]?.kind === "sendWhenStored" ? await fx[0].pending : fx[0];

/** What NATS subscribers see published on the topic's subject. */
async function watch(topic: string): Promise<string[]> {
  const seen: string[] = [];
  env.nc.subscribe(topic.replaceAll("/", "."), { callback: (_e, m) => void seen.push(m.string()) });
  await env.nc.flush();
  return seen;
}

describe("QoS 2 from a session that ends with its connection", () => {
  test("is held in the connection: a duplicate gets PUBREC again, PUBREL releases it once, nothing is written to KV [MQTT-4.3.3-2]", async () => {
    const ctx = env.connected(`clean-${uid()}`);
    const topic = `q2c/${uid()}`;
    const seen = await watch(topic);
    expect(await answer(publish(qos2Publish(topic, "held", 5), ctx))).toMatchObject({
      cmd: "pubrec",
    });
    expect(await answer(publish(qos2Publish(topic, "held", 5, true), ctx))).toMatchObject({
      cmd: "pubrec",
      messageId: 5,
    });
    expect(await env.store.qos2In.get(qos2Key(ctx.session.key, 5))).toBeNull();
    await env.nc.flush();
    expect(seen).toEqual([]); // nothing before PUBREL
    expect(await answer(pubrel({ cmd: "pubrel", messageId: 5 }, ctx))).toEqual({
      cmd: "pubcomp",
      messageId: 5,
      reasonCode: 0,
    });
    expect(await answer(pubrel({ cmd: "pubrel", messageId: 5 }, ctx))).toMatchObject({
      reasonCode: 0x92,
    });
    // The id is free again: a new message under it is a new message.
    await answer(publish(qos2Publish(topic, "again", 5), ctx));
    await answer(pubrel({ cmd: "pubrel", messageId: 5 }, ctx));
    await waitFor(() => seen.length === 2, { what: "both released messages" });
    await env.nc.flush();
    expect(seen).toEqual(["held", "again"]);
  });

  test("past its bound a connection holds in KV, under a key of its own, and each message is still released once", async () => {
    const connection = `bound-${uid()}`;
    const base = env.connected(connection);
    const key = base.session.key;
    // Room for two 4-byte payloads (8 bytes of base64 each): the third goes to KV.
    const ctx: SessionContext = {
      ...base,
      qos2: new ConnectionQos2(env.qos2, key, connection, 16),
    };
    const inKv = (id: number) => env.store.qos2In.get(qos2Key(`${key}-${connection}`, id));
    const topic = `q2b/${uid()}`;
    const seen = await watch(topic);
    for (const [id, text] of [[1, "one."], [2, "two."], [3, "thr."], [4, "fou."]] as const) {
      expect(await answer(publish(qos2Publish(topic, text, id), ctx))).toMatchObject({
        cmd: "pubrec",
      });
    }
    expect(await inKv(2)).toBeNull();
    expect(await inKv(3)).not.toBeNull();
    expect(await env.store.qos2In.get(qos2Key(key, 3))).toBeNull(); // not the session's key
    // Duplicates, in memory and in KV alike, change nothing [MQTT-4.3.3-2].
    await answer(publish(qos2Publish(topic, "one.", 1, true), ctx));
    await answer(publish(qos2Publish(topic, "thr.", 3, true), ctx));
    for (const id of [3, 1, 2]) {
      expect(await answer(pubrel({ cmd: "pubrel", messageId: id }, ctx))).toMatchObject({
        cmd: "pubcomp",
        reasonCode: 0,
      });
    }
    expect(await inKv(3)).toBeNull();
    await waitFor(() => seen.length === 3, { what: "three released messages" });
    await env.nc.flush();
    expect(seen).toEqual(["thr.", "one.", "two."]);
    // The connection ends with message 4 unreleased: it goes with it [MQTT-3.1.2-6].
    await connectionClosed({ reason: "gone", graceful: false }, ctx);
    expect(await inKv(4)).toBeNull();
  });
});
