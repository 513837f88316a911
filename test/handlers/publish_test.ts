import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IPublishPacket } from "mqtt-packet";
import { AckPolicy } from "@nats-io/jetstream";
import { publish } from "../../handlers/publish.ts";
import type { Effect } from "../../handlers/types.ts";
import { MESSAGES_STREAM } from "../../src/nats/names.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";
import { waitFor } from "../helpers/wait.ts";

let env: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv();
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

const pub = (
  topic: string,
  qos: 0 | 1 | 2 = 0,
  payload = "hello",
  messageId?: number,
): IPublishPacket => ({
  cmd: "publish",
  topic,
  payload: Buffer.from(payload),
  qos,
  dup: false,
  retain: false,
  messageId,
});

const run = async (p: IPublishPacket): Promise<Effect[]> => await publish(p, env.connected());

describe("publish handler", () => {
  test("QoS 0 reaches NATS subscribers on the mapped subject with Nmqtt-Pub: 0", async () => {
    const got: Array<{ subject: string; data: string; qos: string | undefined }> = [];
    const sub = env.nc.subscribe("sensors.>", {
      callback: (_e, m) =>
        void got.push({ subject: m.subject, data: m.string(), qos: m.headers?.get("Nmqtt-Pub") }),
    });
    await env.nc.flush();
    expect(await run(pub("sensors/kitchen/temp", 0, "21.5"))).toEqual([]);
    await waitFor(() => got.length === 1, { what: "the NATS message" });
    expect(got[0]).toEqual({ subject: "sensors.kitchen.temp", data: "21.5", qos: "0" });
    sub.unsubscribe();
  });

  for (const topic of ["a/b.c", "a b", "a/+", "a/#", "$JS/API/STREAM/DELETE/jetmq_msgs"]) {
    test(`an invalid topic "${topic}" closes the connection and publishes nothing`, async () => {
      const got: string[] = [];
      const sub = env.nc.subscribe(">", { callback: (_e, m) => void got.push(m.subject) });
      await env.nc.flush();
      const fx = await run(pub(topic));
      expect(fx).toHaveLength(1);
      expect(fx[0]).toMatchObject({ kind: "close" });
      expect((fx[0] as { reason: string }).reason).toContain("Invalid topic in PUBLISH");
      await env.nc.flush();
      expect(got.filter((s) => !s.startsWith("$JETMQ._INBOX"))).toEqual([]);
      sub.unsubscribe();
    });
  }

  test("the $JS API cannot be reached through an MQTT publish", async () => {
    await run(pub("$JS/API/STREAM/DELETE/jetmq_msgs"));
    expect((await env.store.jsm.streams.info(MESSAGES_STREAM)).config.name).toBe(MESSAGES_STREAM);
  });

  test("QoS 1 is stored in the messages stream before PUBACK", async () => {
    const consumer = await env.store.jsm.consumers.add(MESSAGES_STREAM, {
      durable_name: "t1",
      ack_policy: AckPolicy.Explicit,
      filter_subject: "$JETMQ.msgs.q1.>",
    });
    const fx = await run(pub("q1/x", 1, "stored", 42));
    expect(fx).toHaveLength(1);
    expect(fx[0]?.kind).toBe("sendWhenStored");
    const stored = fx[0]?.kind === "sendWhenStored" ? await fx[0].pending : undefined;
    expect(stored).toEqual({ cmd: "puback", messageId: 42, reasonCode: 0 });
    const c = await env.store.js.consumers.get(MESSAGES_STREAM, consumer.name);
    const m = await c.next({ expires: 2000 });
    expect(m?.subject).toBe("$JETMQ.msgs.q1.x");
    expect(m?.string()).toBe("stored");
    expect(m?.headers?.get("Nmqtt-Pub")).toBe("1");
    await env.store.jsm.consumers.delete(MESSAGES_STREAM, consumer.name);
  });

  test("QoS 1 that cannot be stored, after its retries, gets no PUBACK but a close and a log line", async () => {
    const cfg = (await env.store.jsm.streams.info(MESSAGES_STREAM)).config;
    await env.store.jsm.streams.delete(MESSAGES_STREAM);
    try {
      const fx = await run(pub("q1/lost", 1, "x", 7));
      expect(fx[0]?.kind === "sendWhenStored" ? await fx[0].pending : "no effect").toEqual({
        notStored: expect.stringMatching(/^QoS 1 PUBLISH 7: Not stored after \d+ tries/),
      });
      expect(env.logs.find((r) => r.event === "store.retrying")).toMatchObject({
        subject: "$JETMQ.msgs.q1.lost",
        reason: expect.stringContaining("503"),
      });
      const line = env.logs.find((r) => r.event === "publish.store_failed");
      expect(line).toMatchObject({
        what: "QoS 1 PUBLISH 7",
        subject: "$JETMQ.msgs.q1.lost",
        error: "StoreError",
        action: expect.stringContaining("closing the connection"),
      });
    } finally {
      await env.store.jsm.streams.add(cfg);
    }
  });

  test("a payload over the NATS max_payload closes the connection", async () => {
    const fx = await run(pub("big", 0, "x".repeat(env.bus.maxPayload + 1)));
    expect((fx[0] as { reason: string }).reason).toContain("exceeds the NATS max_payload");
  });
});
