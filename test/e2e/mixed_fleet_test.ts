import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/wait.ts";

// One Bun instance and one Deno instance on one NATS: a fleet mid-migration from one runtime to
// the other serves the same clients, whichever instance the balancer picks.

const dir = mkdtempSync(join(tmpdir(), "jetmq-mixed-"));
const usersFile = join(dir, "users.json");
let nats: TestNats;
let onBun: TestBroker;
let onDeno: TestBroker;

beforeAll(async () => {
  // A password hashed by Bun's own bcrypt (as users files made before have them): both verify it.
  const password = await Bun.password.hash("fl33t", { algorithm: "bcrypt", cost: 4 });
  writeFileSync(usersFile, JSON.stringify({ users: [{ username: "dev", password }] }));
  nats = await startNats();
  const options = { users_file: usersFile };
  [onBun, onDeno] = await Promise.all([
    startTestBroker(nats.url, options, "bun"),
    startTestBroker(nats.url, options, "deno"),
  ]);
});
afterAll(async () => {
  await onBun?.stop();
  await onDeno?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const uid = () => crypto.randomUUID().slice(0, 8);
const login = { username: "dev", password: "fl33t" };

describe("a fleet of Bun and Deno instances on one NATS", () => {
  test("each runtime says which it is, and the same users file admits the same user on both", async () => {
    expect((await onBun.logged("broker.started")).runtime).toMatch(/^bun /);
    expect((await onDeno.logged("broker.started")).runtime).toMatch(/^deno /);
    for (const b of [onBun, onDeno]) {
      await using ok = await mqttjs(b.url, login);
      expect(ok.connack.returnCode).toBe(0);
      await expect(mqttjs(b.url, { ...login, password: "wrong" })).rejects.toMatchObject({
        code: 4,
      });
    }
  });

  for (const [from, to] of [["bun", "deno"], ["deno", "bun"]] as const) {
    test(`a QoS 1 persistent session made on ${from} resumes on ${to} with its queue`, async () => {
      const [first, second] = from === "bun" ? [onBun, onDeno] : [onDeno, onBun];
      const clientId = `mix-${uid()}`;
      const topic = `mix/${uid()}`;
      {
        await using c = await mqttjs(first.url, { ...login, clientId, clean: false });
        await c.client.subscribeAsync(topic, { qos: 1 });
      }
      await using pub = await mqttjs(first.url, login);
      for (let i = 0; i < 20; i++) await pub.client.publishAsync(topic, String(i), { qos: 1 });
      await using back = await mqttjs(second.url, { ...login, clientId, clean: false });
      expect(back.connack.sessionPresent).toBe(true);
      const got = await back.waitMessages(20);
      expect(got.map((m) => [m.payload, m.qos])).toEqual(
        Array.from({ length: 20 }, (_, i) => [String(i), 1]),
      );
    });
  }

  test("a client id taken over on the other runtime closes the first connection", async () => {
    const clientId = `mix-take-${uid()}`;
    await using first = await mqttjs(onDeno.url, { ...login, clientId });
    let closed = false;
    first.client.on("close", () => (closed = true));
    await using second = await mqttjs(onBun.url, { ...login, clientId });
    await waitFor(() => closed, { what: "the Deno instance to close the first connection" });
    await onDeno.logged(
      "client.closed",
      (r) => r.clientId === clientId && String(r.reason).includes("taken over"),
    );
    expect(second.client.connected).toBe(true);
  });

  test("retained messages and wills cross runtimes", async () => {
    const topic = `mix/ret/${uid()}`;
    await using pub = await mqttjs(onBun.url, login);
    await pub.client.publishAsync(topic, "kept", { qos: 1, retain: true });
    await using late = await mqttjs(onDeno.url, login);
    await late.client.subscribeAsync(topic, { qos: 1 });
    expect((await late.waitMessages(1))[0]).toMatchObject({ payload: "kept", retain: true });

    const willTopic = `mix/will/${uid()}`;
    await using watcher = await mqttjs(onBun.url, login);
    await watcher.client.subscribeAsync(willTopic, { qos: 1 });
    const dying = await mqttjs(onDeno.url, {
      ...login,
      will: { topic: willTopic, payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    // Without DISCONNECT: the socket just goes, as when a device loses power.
    dying.client.stream.destroy();
    expect((await watcher.waitMessages(1))[0]).toMatchObject({ topic: willTopic, payload: "gone" });
  });
});
