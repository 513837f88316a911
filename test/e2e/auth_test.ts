import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { run } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmq-auth-e2e-"));
const usersFile = join(dir, "users.json");
let nats: TestNats;
let broker: TestBroker;

async function writeUsers(extra: Array<Record<string, unknown>> = []): Promise<void> {
  const hash = (pw: string) => Bun.password.hash(pw, { algorithm: "bcrypt", cost: 4 });
  const users = [
    {
      username: "sensor",
      password: await hash("s3cret"),
      permissions: {
        publish: { allow: ["devices/%c/#"] },
        subscribe: { allow: ["devices/#"], deny: ["devices/secret/#"] },
      },
    },
    { username: "backend", password: await hash("b4ckend") },
    ...extra,
  ];
  writeFileSync(usersFile, JSON.stringify({ users }));
}

beforeAll(async () => {
  await writeUsers();
  nats = await startNats();
  broker = await startTestBroker(nats.url, { users_file: usersFile, auth_failures: 20 });
});
afterAll(async () => {
  await broker.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const uid = () => crypto.randomUUID().slice(0, 6);
const as = (username: string, password: string, clientId = `${username}-${uid()}`) => ({
  username,
  password,
  clientId,
});

describe("authentication and authorization end to end", () => {
  test("MQTT.js with the right password connects; a wrong one is refused with 0x04", async () => {
    await using ok = await mqttjs(broker.url, as("backend", "b4ckend"));
    expect(ok.connack.returnCode).toBe(0);
    await expect(mqttjs(broker.url, as("backend", "wrong"))).rejects.toMatchObject({ code: 4 });
    await broker.logged("client.refused", (r) => r.code === 0x86);
  });

  test("mosquitto_pub without credentials is refused (anonymous not allowed)", async () => {
    const out = await run([
      "mosquitto_pub",
      "-h",
      "127.0.0.1",
      "-p",
      String(broker.port),
      "-t",
      "x",
      "-m",
      "y",
    ]);
    expect(out.code).not.toBe(0);
    expect(out.stderr.toLowerCase()).toContain("not authori");
  });

  test("a wildcard subscriber never receives a denied topic", async () => {
    await using sensor = await mqttjs(broker.url, as("sensor", "s3cret"));
    await sensor.client.subscribeAsync("devices/#");
    await using backend = await mqttjs(broker.url, as("backend", "b4ckend"));
    await backend.client.publishAsync("devices/a/temp", "visible");
    await backend.client.publishAsync("devices/secret/key", "hidden", { qos: 1 });
    await backend.client.publishAsync("devices/b/temp", "visible too");
    const got = await sensor.waitMessages(2);
    expect(got.map((m) => m.topic)).toEqual(["devices/a/temp", "devices/b/temp"]);
  });

  test("a device publishes only under its own client id; the rest is dropped but acknowledged", async () => {
    const clientId = `dev-${uid()}`;
    await using backend = await mqttjs(broker.url, as("backend", "b4ckend"));
    await backend.client.subscribeAsync("devices/#");
    await using sensor = await mqttjs(broker.url, as("sensor", "s3cret", clientId));
    await sensor.client.publishAsync(`devices/someone-else/temp`, "forged", { qos: 1 }); // PUBACKed
    await sensor.client.publishAsync(`devices/${clientId}/temp`, "mine", { qos: 1 });
    expect((await backend.waitMessages(1)).map((m) => m.payload)).toEqual(["mine"]);
    await broker.logged("publish.denied", (r) => r.topic === "devices/someone-else/temp");
  });

  test("SIGHUP reload: a new user gets in and open connections stay", async () => {
    await using staying = await mqttjs(broker.url, as("backend", "b4ckend"));
    const hash = await Bun.password.hash("n3w", { algorithm: "bcrypt", cost: 4 });
    await writeUsers([{ username: "newcomer", password: hash }]);
    await broker.reloadUsers();
    await using fresh = await mqttjs(broker.url, as("newcomer", "n3w"));
    expect(fresh.connack.returnCode).toBe(0);
    await staying.client.subscribeAsync("reload/x");
    await fresh.client.publishAsync("reload/x", "after reload");
    expect((await staying.waitMessages(1))[0]?.payload).toBe("after reload");
  });

  test("max_connections per instance answers 0x03", async () => {
    await using limited = await startTestBroker(nats.url, { max_connections: 1 });
    await using first = await mqttjs(limited.url);
    await expect(mqttjs(limited.url)).rejects.toMatchObject({ code: 3 });
    expect(first.client.connected).toBe(true);
  });
  // Last: it leaves "backend" throttled from this address for the next 10 s.
  test("a flood of bad CONNECTs starves neither a connected client nor other users of the address", async () => {
    await using good = await mqttjs(broker.url, as("backend", "b4ckend"));
    await good.client.subscribeAsync("flood/echo");
    const bad: RawClient[] = [];
    const flood = (async () => {
      for (let i = 0; i < 300; i++) {
        const raw = await RawClient.open(broker.port);
        bad.push(raw);
        raw.send({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 4,
          clean: true,
          keepalive: 0,
          clientId: `bad-${i}`,
          username: "backend",
          password: Buffer.from("guess"),
        });
      }
    })();
    for (let i = 0; i < 50; i++) {
      await good.client.publishAsync("flood/echo", String(i), { qos: 1 });
    }
    await flood;
    const got = await good.waitMessages(50, 20_000);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    // Past auth_failures, the guesses for "backend" from this address wait their turn: one
    // password check a second, so the flood costs the flooder its connections, not our CPU.
    await broker.logged(
      "client.deferred",
      (r) => String(r.reason).includes('Failed logins for "backend"'),
    );
    expect(bad.filter((b) => b.all("connack").length > 0).length).toBeLessThan(300);
    // Every client of this test shares one address, as behind a load balancer: another user
    // gets in without waiting, although the address has failed 300 times.
    await using other = await mqttjs(broker.url, as("sensor", "s3cret"));
    expect(other.connack.returnCode).toBe(0);
    const deferred = broker.logs.filter((r) => r.event === "client.deferred").map((r) => r.reason);
    expect(deferred.filter((r) => !String(r).includes('"backend"'))).toEqual([]);
    for (const b of bad) await b[Symbol.asyncDispose]();
  });
});
