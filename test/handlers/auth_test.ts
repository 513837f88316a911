import type { SessionRef } from "../../src/mqtt/session.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IConnectPacket } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { publish } from "../../handlers/publish.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import type { Effect } from "../../handlers/types.ts";
import { AuthContext } from "../../src/auth/auth_context.ts";
import { filterCovers, topicMatches } from "../../src/auth/filter_match.ts";
import { Permissions } from "../../src/auth/permissions.ts";
import { buildConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";
import { bcrypt } from "../../src/runtime/bcrypt.ts";
import { type HandlerEnv, handlerEnv } from "../helpers/handler_env.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmq-auth-"));
const usersFile = join(dir, "users.json");
let env: HandlerEnv;
let auth: AuthContext;

beforeAll(async () => {
  const hash = (pw: string) => Bun.password.hash(pw, { algorithm: "bcrypt", cost: 4 });
  writeFileSync(
    usersFile,
    JSON.stringify({
      users: [
        {
          username: "device-1",
          password: await hash("pw1"),
          client_id_pattern: "%u",
          max_connections: 1,
          permissions: {
            publish: { allow: ["devices/%c/#"] },
            subscribe: { allow: ["commands/%c/#", "devices/#"], deny: ["devices/secret/#"] },
          },
        },
      ],
      tokens: [{ name: "dash", token_sha256: createHash("sha256").update("tok").digest("hex") }],
    }),
  );
  auth = new AuthContext(buildConfig({ users_file: usersFile }), bcrypt);
  env = await handlerEnv({ auth, limits: { maxClientIdLength: 20, maxConnections: 5 } });
});
afterAll(async () => {
  await env[Symbol.asyncDispose]();
  rmSync(dir, { recursive: true, force: true });
});

let port = 40000;
const login = (over: Partial<IConnectPacket>): Promise<Effect[]> =>
  connect(
    {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "device-1",
      clean: true,
      keepalive: 0,
      ...over,
    },
    { ...env.ctx(null, `c-${port}`), remoteAddress: `10.0.0.${port % 200}:${port++}` },
  );
const code = (fx: Effect[]) =>
  (fx.find((e) => e.kind === "send") as { packet: { returnCode: number } } | undefined)?.packet
    .returnCode;
const bound = (fx: Effect[]): SessionRef => {
  const b = fx.find((e) => e.kind === "bind");
  if (b?.kind !== "bind") throw new Error(`not bound: ${JSON.stringify(fx)}`);
  return b.session;
};

describe("authentication", () => {
  test("a right password gets in; a wrong one or an unknown user gets 0x04", async () => {
    expect(code(await login({ username: "device-1", password: Buffer.from("pw1") }))).toBe(0);
    expect(code(await login({ username: "device-1", password: Buffer.from("nope") }))).toBe(4);
    expect(code(await login({ username: "ghost", password: Buffer.from("pw1") }))).toBe(4);
  });

  test("anonymous clients get 0x05 when users exist; a token in the password field gets in", async () => {
    expect(code(await login({ clientId: "anon" }))).toBe(5);
    expect(code(await login({ clientId: "dash-1", username: "any", password: Buffer.from("tok") })))
      .toBe(0);
  });

  test("a client id outside the user's pattern gets 0x02, as one too long does [MQTT-3.1.3-9]", async () => {
    expect(
      code(
        await login({ clientId: "device-2", username: "device-1", password: Buffer.from("pw1") }),
      ),
    ).toBe(2);
    expect(
      code(
        await login({
          clientId: "x".repeat(21),
          username: "device-1",
          password: Buffer.from("pw1"),
        }),
      ),
    ).toBe(2);
  });

  test("a will topic the user may not publish to gets 0x05", async () => {
    const will = {
      topic: "devices/other/status",
      payload: Buffer.from("x"),
      qos: 0 as const,
      retain: false,
    };
    expect(code(await login({ username: "device-1", password: Buffer.from("pw1"), will }))).toBe(5);
  });

  test("connection limits: per user 0x05, per instance 0x03", async () => {
    auth.counts.add("device-1");
    expect(code(await login({ username: "device-1", password: Buffer.from("pw1") }))).toBe(5);
    auth.counts.remove("device-1");
    for (let i = 0; i < 5; i++) auth.counts.add(null);
    expect(code(await login({ clientId: "dash-2", username: "x", password: Buffer.from("tok") })))
      .toBe(3);
    for (let i = 0; i < 5; i++) auth.counts.remove(null);
  });

  test("failed logins slow that user down from that address; right credentials still get in", async () => {
    const strict = new AuthContext(
      buildConfig({ users_file: usersFile, auth_failures: 2 }),
      bcrypt,
    );
    const ctx = { ...env.ctx(null, "flood"), admission: strict, remoteAddress: "10.9.9.9:1" };
    const attempt = (password: string, username = "device-1") =>
      connect({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId: username,
        clean: true,
        keepalive: 0,
        username,
        password: Buffer.from(password),
      }, ctx);
    expect(code(await attempt("no"))).toBe(4);
    expect(code(await attempt("no"))).toBe(4);
    expect(code(await attempt("no"))).toBe(4); // the pair's one check of this second
    // The next waits its turn (a defer holds the connection), whatever its password.
    const waiting = await attempt("pw1");
    expect(waiting).toEqual([{
      kind: "defer",
      ms: expect.any(Number),
      reason: expect.stringContaining('Failed logins for "device-1" from 10.9.9.9'),
    }]);
    // Its turn comes (on the handlers' clock); the right password gets in. (Earlier tests took
    // "device-1" over often: the flap guard may ask for a wait of its own first.)
    let fx = waiting;
    while (fx[0]?.kind === "defer") {
      env.advanceClock(fx[0].ms);
      fx = await attempt("pw1");
    }
    expect(code(fx)).toBe(0);
  });

  test("a users file that is wrong stops start-up naming the problem", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ users: [{ username: "u", password: "plain text" }] }));
    const load = () => new AuthContext(buildConfig({ users_file: bad }), bcrypt);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/bcrypt hash/);
  });
});

describe("authorization", () => {
  /**
   * device-1 logs in; the earlier tests took its client id over often: the flap guard's wait
   * passes on the handlers' clock, not the test's.
   */
  async function device(): Promise<SessionRef> {
    for (;;) {
      const fx = await login({ username: "device-1", password: Buffer.from("pw1") });
      const first = fx[0];
      if (first?.kind !== "defer") return bound(fx);
      env.advanceClock(first.ms);
    }
  }

  test("PUBLISH outside the allow list is dropped, logged, and still acknowledged", async () => {
    const s = await device();
    const got: string[] = [];
    env.nc.subscribe("devices.>", { callback: (_e, m) => void got.push(m.subject) });
    await env.nc.flush();
    const pub = (topic: string, qos: 0 | 1) =>
      publish({
        cmd: "publish",
        topic,
        payload: Buffer.from("x"),
        qos,
        dup: false,
        retain: false,
        messageId: qos ? 5 : undefined,
      }, env.ctx(s, "c"));
    expect(pub("devices/other/temp", 1)).toEqual([{
      kind: "send",
      // 0x87 (not authorized) for MQTT 5; a 3.1.1 PUBACK has no reason.
      packet: { cmd: "puback", messageId: 5, reasonCode: 0x87 },
    }]);
    expect(pub("devices/other/temp", 0)).toEqual([]);
    expect(pub("devices/device-1/temp", 0)).toEqual([]);
    await env.nc.flush();
    expect(got).toEqual(["devices.device-1.temp"]);
    expect(env.logs.some((r) => r.event === "publish.denied" && r.topic === "devices/other/temp"))
      .toBe(true);
  });

  test("SUBSCRIBE refuses filters outside the allow list or inside a deny rule with 0x87 (3.1.1: 0x80)", async () => {
    const s = await device();
    const fx = await subscribe({
      cmd: "subscribe",
      messageId: 1,
      subscriptions: [
        { topic: "commands/device-1/#", qos: 1 },
        { topic: "commands/device-2/#", qos: 1 },
        { topic: "devices/#", qos: 0 },
        { topic: "devices/secret/keys", qos: 0 },
        { topic: "#", qos: 0 },
      ],
    }, env.ctx(s, "c"));
    expect(fx.find((e) => e.kind === "send")).toMatchObject({
      packet: { granted: [1, 0x87, 0, 0x87, 0x87] },
    });
  });

  test("permissions: %u and %c are filled in, and a client id with a wildcard widens nothing", () => {
    const spec = { publish: { allow: ["devices/%c/#", "users/%u"] } };
    const p = new Permissions(spec, "alice", "d1");
    expect([
      p.canPublish("devices/d1/x"),
      p.canPublish("devices/d2/x"),
      p.canPublish("users/alice"),
    ]).toEqual([true, false, true]);
    const sneaky = new Permissions(spec, "alice", "+");
    expect([sneaky.canPublish("devices/d2/x"), sneaky.canPublish("devices/+/x")]).toEqual([
      false,
      false,
    ]);
  });

  test("filter matching and covering", () => {
    expect([
      topicMatches("a/#", "a"),
      topicMatches("a/+", "a/b"),
      topicMatches("+/b", "$x/b"),
      topicMatches("a/+", "a/b/c"),
    ]).toEqual([true, true, false, false]);
    expect([
      filterCovers("a/#", "a/+/c"),
      filterCovers("a/+", "a/#"),
      filterCovers("#", "a/b"),
      filterCovers("a/b", "a/+"),
    ]).toEqual([true, false, true, false]);
  });
});
