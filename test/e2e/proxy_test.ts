import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IConnectPacket } from "mqtt-packet";
import { bcrypt } from "../../src/runtime/bcrypt.ts";
import { startTestBroker, type TestBroker } from "../helpers/broker.ts";
import { testCerts } from "../helpers/certs.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats, type TestNats } from "../helpers/nats_server.ts";
import { proxyV1, proxyV2 } from "../helpers/proxy_bytes.ts";
import { RawClient } from "../helpers/raw_client.ts";

// Behind a load balancer: the client's address comes from the PROXY protocol (TCP and TLS) or a
// trusted HTTP proxy's headers (WebSocket), and is the address used everywhere.

const dir = mkdtempSync(join(tmpdir(), "jetmq-proxy-"));
const usersFile = join(dir, "users.json");
let nats: TestNats;
let proxied: TestBroker;

beforeAll(async () => {
  const hash = (pw: string) => bcrypt.hash(pw, 4);
  writeFileSync(
    usersFile,
    JSON.stringify({
      allow_anonymous: true,
      users: [{ username: "dev", password: await hash("right") }],
    }),
  );
  nats = await startNats();
  const certs = testCerts();
  proxied = await startTestBroker(nats.url, {
    proxy_protocol: "true",
    proxy_trusted: "127.0.0.1, ::1",
    tls_cert: certs.certFile,
    tls_key: certs.keyFile,
    users_file: usersFile,
    auth_failures: 2,
  });
});
afterAll(async () => {
  await proxied.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const connz = async (b: TestBroker, clientId: string) => {
  const res = await fetch(`http://127.0.0.1:${b.monitorPort}/connz?mqtt_client=${clientId}`);
  const body = (await res.json()) as { connections: Array<{ remote: string }> };
  return body.connections[0]?.remote;
};
const uid = () => crypto.randomUUID().slice(0, 8);
const login = (clientId: string, password?: string): Partial<IConnectPacket> => ({
  clientId,
  ...(password === undefined ? {} : { username: "dev", password: Buffer.from(password) }),
});

describe("PROXY protocol", () => {
  test("v1 on the TCP listener: the client's address from the header is the connection's", async () => {
    const id = `p1-${uid()}`;
    await using raw = await RawClient.open(proxied.port, {
      preface: proxyV1("203.0.113.7", 51000),
    });
    expect(await raw.connect(login(id))).toMatchObject({ returnCode: 0 });
    expect(await connz(proxied, id)).toBe("203.0.113.7:51000");
    await proxied.logged(
      "client.connected",
      (r) => r.clientId === id && r.remote === "203.0.113.7:51000",
    );
  });

  test("v2 before TLS on the TLS listener, with an IPv6 client", async () => {
    const id = `p2-${uid()}`;
    await using raw = await RawClient.open(proxied.tlsPort ?? 0, {
      preface: proxyV2({ source: "2001:db8::42", port: 4711 }),
      tls: { ca: testCerts().ca },
    });
    expect(await raw.connect(login(id))).toMatchObject({ returnCode: 0 });
    expect(await connz(proxied, id)).toBe("[2001:db8::42]:4711");
  });

  test("a LOCAL header (a balancer's health check) keeps the balancer's address", async () => {
    const id = `pl-${uid()}`;
    await using raw = await RawClient.open(proxied.port, { preface: proxyV2({ local: true }) });
    expect(await raw.connect(login(id))).toMatchObject({ returnCode: 0 });
    expect(await connz(proxied, id)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test("no header, or a malformed one, closes the connection with a log line", async () => {
    await using plain = await RawClient.open(proxied.port);
    plain.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "x",
      clean: true,
      keepalive: 0,
    });
    await plain.waitClosed();
    expect(plain.all("connack")).toEqual([]);
    await proxied.logged("proxy.refused", (r) => String(r.reason).includes("Expected a PROXY"));
    await using bad = await RawClient.open(proxied.port, {
      preface: new TextEncoder().encode("PROXY TCP4 nonsense\r\n"),
    });
    await bad.waitClosed();
    await proxied.logged("proxy.refused", (r) => String(r.reason).includes("Malformed PROXY v1"));
  });

  test("a header from a source that is not trusted closes the connection", async () => {
    await using strict = await startTestBroker(nats.url, {
      proxy_protocol: "true",
      proxy_trusted: "10.0.0.0/8",
    });
    await using raw = await RawClient.open(strict.port, { preface: proxyV1("203.0.113.7", 1) });
    raw.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "y",
      clean: true,
      keepalive: 0,
    });
    await raw.waitClosed();
    expect(raw.all("connack")).toEqual([]);
    await strict.logged("proxy.refused", (r) => String(r.reason).includes("not in proxy_trusted"));
  });

  test("failed logins count per real client address: the attacker waits, others do not", async () => {
    const attacker = proxyV1("198.51.100.66", 2000);
    for (let i = 0; i < 3; i++) {
      await using raw = await RawClient.open(proxied.port, { preface: attacker });
      expect(await raw.connect(login(`guess-${i}`, "wrong"))).toMatchObject({ returnCode: 4 });
    }
    // The guesser's next try waits for its turn...
    await using again = await RawClient.open(proxied.port, { preface: attacker });
    again.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: "guess-3",
      username: "dev",
      password: Buffer.from("wrong"),
    });
    await proxied.logged("client.deferred", (r) => String(r.reason).includes("198.51.100.66"));
    // ...while the same user from another address gets straight in.
    const id = `ok-${uid()}`;
    await using good = await RawClient.open(proxied.port, {
      preface: proxyV1("203.0.113.8", 3000),
    });
    expect(await good.connect(login(id, "right"))).toMatchObject({ returnCode: 0 });
    expect(await connz(proxied, id)).toBe("203.0.113.8:3000");
  });
});

describe("WebSocket behind an HTTP proxy", () => {
  test("X-Forwarded-For from a trusted proxy is the client's address; from others it is ignored", async () => {
    const id = `ws-${uid()}`;
    await using c = await mqttjs(`ws://127.0.0.1:${proxied.wsPort}/mqtt`, {
      clientId: id,
      wsOptions: { headers: { "X-Forwarded-For": "198.51.100.4, 127.0.0.1" } },
    });
    expect(await connz(proxied, id)).toBe("198.51.100.4:0");
    await using untrusting = await startTestBroker(nats.url, { proxy_trusted: "10.0.0.0/8" });
    const other = `ws-${uid()}`;
    await using d = await mqttjs(`ws://127.0.0.1:${untrusting.wsPort}/mqtt`, {
      clientId: other,
      wsOptions: { headers: { "X-Forwarded-For": "198.51.100.4" } },
    });
    expect(await connz(untrusting, other)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(c.client.connected && d.client.connected).toBe(true);
  });
});
