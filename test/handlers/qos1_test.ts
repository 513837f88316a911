import type { SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IConnectPacket } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { connectionClosed } from "../../handlers/connection_closed.ts";
import { puback } from "../../handlers/puback.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import { unsubscribe } from "../../handlers/unsubscribe.ts";
import { consumerName, deliverSubject, MESSAGES_STREAM } from "../../src/nats/names.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";

const MAX_ACK_PENDING = 30_000;

let env: HandlerEnv;
beforeAll(async () => {
  env = await handlerEnv({ ackWaitMs: 7000, limits: { maxAckPending: MAX_ACK_PENDING } });
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
});

async function session(clean: boolean, clientId = `q-${crypto.randomUUID().slice(0, 8)}`) {
  const p: IConnectPacket = {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clientId,
    clean,
    keepalive: 0,
  };
  const fx = await connect(p, env.ctx(null, `conn-${clientId}`));
  const b = fx[0];
  if (b?.kind !== "bind") throw new Error("not bound");
  return b.session;
}

const consumerOf = (s: SessionRef, subject: string) =>
  env.store.jsm.consumers.info(MESSAGES_STREAM, consumerName(s.key, subject)).catch(() => null);

const sub = (s: SessionRef, messageId: number, subscriptions: Array<[string, 0 | 1 | 2]>) =>
  subscribe(
    {
      cmd: "subscribe",
      messageId,
      subscriptions: subscriptions.map(([topic, qos]) => ({ topic, qos })),
    },
    env.ctx(s, `conn-${s.clientId}`),
  );

describe("QoS 1 handlers", () => {
  test("PUBACK completes the delivery with that packet id [MQTT-4.3.2-1]", () => {
    expect(puback({ cmd: "puback", messageId: 77 }, env.connected())).toEqual([{
      kind: "acked",
      packetId: 77,
    }]);
  });

  test("a persistent QoS 1 subscription gets a durable consumer with ack_wait and max_ack_pending", async () => {
    const s = await session(false);
    const fx = await sub(s, 1, [["dev/+/cmd", 1]]);
    expect(fx.find((e) => e.kind === "send")).toEqual({
      kind: "send",
      packet: { cmd: "suback", messageId: 1, granted: [1] },
    });
    const info = await consumerOf(s, "dev.*.cmd");
    expect(info?.config).toMatchObject({
      durable_name: consumerName(s.key, "dev.*.cmd"),
      deliver_subject: deliverSubject(s.key, "dev.*.cmd"),
      filter_subject: "$JETMQ.msgs.dev.*.cmd",
      ack_policy: "explicit",
      ack_wait: 7000 * 1_000_000,
      max_ack_pending: MAX_ACK_PENDING,
    });
  });

  test("a session's in-flight windows may not pass 65535; # counts twice; over it gets 0x97", async () => {
    const s = await session(false);
    // 30,000 + 2 × 30,000 would pass 65,535; 30,000 + 30,000 does not; QoS 0 costs nothing.
    const fx = await sub(s, 2, [["lim/a", 1], ["lim/b/#", 1], ["lim/c", 1], ["lim/d/#", 0]]);
    expect(fx.find((e) => e.kind === "send")).toMatchObject({
      packet: { granted: [1, 0x97, 1, 0] },
    });
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({
      "lim/a": 1,
      "lim/c": 1,
      "lim/d/#": 0,
    });
    expect(await consumerOf(s, "lim.b.>")).toBeNull();
    expect(await consumerOf(s, "lim.c")).not.toBeNull();
    // Replacing a filter does not count it twice [MQTT-3.8.4-3].
    const again = await sub(s, 3, [["lim/a", 1]]);
    expect(again.find((e) => e.kind === "send")).toMatchObject({ packet: { granted: [1] } });
  });

  test("a clean session's QoS 1 subscription creates no consumer", async () => {
    const s = await session(true);
    const fx = await sub(s, 4, [["cheap/x", 1]]);
    expect(fx.find((e) => e.kind === "send")).toMatchObject({ packet: { granted: [1] } });
    expect(await consumerOf(s, "cheap.x")).toBeNull();
  });

  test("UNSUBSCRIBE deletes the filter's consumers; QoS 0 again deletes them too", async () => {
    const s = await session(false);
    await sub(s, 5, [["gone/#", 1], ["down/x", 1]]);
    expect(await consumerOf(s, "gone.>")).not.toBeNull();
    expect(await consumerOf(s, "gone")).not.toBeNull();
    await unsubscribe(
      { cmd: "unsubscribe", messageId: 6, unsubscriptions: ["gone/#"] },
      env.ctx(s, `conn-${s.clientId}`),
    );
    expect(await consumerOf(s, "gone.>")).toBeNull();
    expect(await consumerOf(s, "gone")).toBeNull();
    await sub(s, 7, [["down/x", 0]]);
    expect(await consumerOf(s, "down.x")).toBeNull();
    expect((await env.sessions.get(s.key))?.subscriptions).toEqual({ "down/x": 0 });
  });

  test("resuming a session delivers from its consumers; a clean start deletes them [MQTT-3.1.2-6]", async () => {
    const clientId = `r-${crypto.randomUUID().slice(0, 8)}`;
    const s = await session(false, clientId);
    await sub(s, 8, [["res/x", 1]]);
    const resumed = await connect(
      {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId,
        clean: false,
        keepalive: 0,
      },
      env.ctx(null, "conn-resumed"),
    );
    expect(resumed.find((e) => e.kind === "subscribe")).toEqual({
      kind: "subscribe",
      resume: true,
      restored: true,
      grants: [{ filter: "res/x", qos: 1, subjects: ["res.x"], stored: true }],
    });
    const bind = resumed[0];
    if (bind?.kind !== "bind") throw new Error("not bound");
    await connectionClosed(
      { reason: "gone", graceful: true },
      env.ctx(bind.session, "conn-resumed"),
    );
    await connect(
      {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId,
        clean: true,
        keepalive: 0,
      },
      env.ctx(null, "conn-clean"),
    );
    expect(await consumerOf(s, "res.x")).toBeNull();
  });
});
