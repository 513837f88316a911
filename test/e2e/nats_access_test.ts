import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { startTestBroker } from "../helpers/broker.ts";
import { testCerts } from "../helpers/certs.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats } from "../helpers/nats_server.ts";

// jetmq against a secured NATS (a managed service, a production cluster): credentials in the
// URL, an NKey seed, TLS with a CA. Each server refuses jetmq without them.

const dir = mkdtempSync(join(tmpdir(), "jetmq-nats-access-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** jetmq serves a publish/subscribe round trip on `natsUrl` with `options`. */
async function serves(natsUrl: string, options: Record<string, string> = {}): Promise<void> {
  await using broker = await startTestBroker(natsUrl, { startup_timeout: "5s", ...options });
  await using c = await mqttjs(broker.url);
  await c.client.subscribeAsync("secured/x", { qos: 1 });
  await c.client.publishAsync("secured/x", "through", { qos: 1 });
  expect((await c.waitMessages(1))[0]?.payload).toBe("through");
}

describe("secured NATS", () => {
  test("user and password in the URL; wrong ones stop start-up at once with a clear error", async () => {
    await using nats = await startNats({
      extraConfig: "authorization { user: jetmq, password: s3cret }\n",
    });
    const port = new URL(nats.url).port;
    await serves(`nats://jetmq:s3cret@127.0.0.1:${port}`);
    const started = Date.now();
    await expect(
      startTestBroker(`nats://jetmq:wrong@127.0.0.1:${port}`, { startup_timeout: "30s" }),
    ).rejects.toThrow(/refused jetmq's credentials/);
    // Not retried for the 30 s of startup_timeout: credentials do not get better by waiting.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("a token in the URL", async () => {
    await using nats = await startNats({ extraConfig: "authorization { token: t0ken }\n" });
    await serves(`nats://t0ken@127.0.0.1:${new URL(nats.url).port}`);
  });

  test("an NKey seed file", async () => {
    const user = nkeys.createUser();
    const seedFile = join(dir, "jetmq.nk");
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    await using nats = await startNats({
      extraConfig: `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }\n`,
    });
    await serves(nats.url, { nats_nkey: seedFile });
  });

  test("TLS to NATS, verified against a CA", async () => {
    const certs = testCerts();
    await using nats = await startNats({
      extraConfig: `tls { cert_file: "${certs.certFile}", key_file: "${certs.keyFile}" }\n`,
    });
    const url = `tls://127.0.0.1:${new URL(nats.url).port}`;
    await serves(url, { nats_tls_ca: certs.caFile });
  });
});

beforeAll(() => {
  testCerts();
});
