import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_RUNTIME } from "../helpers/broker.ts";
import { jetmqCommand } from "../helpers/broker_process.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import { startNats } from "../helpers/nats_server.ts";
import { finish, run } from "../helpers/process.ts";
import { waitFor } from "../helpers/wait.ts";

/** src/main.ts on the runtime under test. */
const JETMQ = jetmqCommand(TEST_RUNTIME);

interface Started {
  readonly proc: ReturnType<typeof spawnMain>;
  readonly lines: Array<Record<string, unknown>>;
  readonly port: number;
}

function spawnMain(args: string[], env: Record<string, string> = {}) {
  return Bun.spawn([...JETMQ, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: { ...process.env, ...env },
  });
}

/** Starts jetmq as a user would and waits for its "broker.started" log line. */
async function startMain(args: string[]): Promise<Started> {
  const proc = spawnMain(args);
  const lines: Array<Record<string, unknown>> = [];
  void (async () => {
    let rest = "";
    for await (const chunk of proc.stdout) {
      const parts = (rest + new TextDecoder().decode(chunk)).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
    }
  })();
  const started = await waitFor(() => lines.find((l) => l.event === "broker.started"), {
    timeoutMs: 20_000,
    what: "jetmq to start",
  });
  return { proc, lines, port: Number(String(started.mqtt).split(":").pop()) };
}

describe("jetmq as a process (src/main.ts)", () => {
  test("with no NATS URL it runs an embedded nats-server, serves MQTT, and stops both on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "jetmq-main-"));
    try {
      const { proc, lines, port } = await startMain([
        ...["--port", "0", "--ws-port", "0", "--monitor-port", "0", "--embedded-nats-port", "0"],
        ...["--data-dir", dataDir, "--host", "127.0.0.1"],
      ]);
      const nats = lines.find((l) => l.event === "nats.embedded.started");
      expect(nats?.dataDir).toBe(dataDir);
      expect(readdirSync(dataDir)).toContain("jetstream");

      await using sub = await mqttjs(`mqtt://127.0.0.1:${port}`);
      await using pub = await mqttjs(`mqtt://127.0.0.1:${port}`);
      await sub.client.subscribeAsync("main/#");
      await pub.client.publishAsync("main/x", "through the embedded server");
      expect((await sub.waitMessages(1))[0]?.payload).toBe("through the embedded server");

      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(lines.map((l) => l.event)).toEqual(
        expect.arrayContaining(["broker.stopping", "broker.stopped", "nats.embedded.stopped"]),
      );
      const pid = Number(nats?.pid);
      expect(existsSync(`/proc/${pid}`)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("--help lists every option with its environment variable and default", async () => {
    const out = await run([...JETMQ, "--help"]);
    expect(out.code).toBe(0);
    for (const text of ["--port", "JETMQ_PORT", "1883", "JETMQ_NATS_URL", "JETMQ_LOG_LEVEL"]) {
      expect(out.stdout).toContain(text);
    }
  });

  test("an invalid option stops start-up with a message naming it", async () => {
    const out = await run([...JETMQ, "--max-packet-size", "huge"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('option "max_packet_size" (JETMQ_MAX_PACKET_SIZE)');
  });

  test("a NATS server without JetStream is refused with a clear error", async () => {
    await using plain = await startNats({ jetstream: false });
    const proc = spawnMain(["--port", "0", "--monitor-port", "0"], { JETMQ_NATS_URL: plain.url });
    const out = await finish(proc);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("JetStream is not enabled");
  });

  test("SIGHUP re-reads the users file: a new user gets in, a connected one stays", async () => {
    await using nats = await startNats();
    const dir = mkdtempSync(join(tmpdir(), "jetmq-hup-"));
    const users = join(dir, "users.json");
    const user = async (name: string) => ({
      username: name,
      password: await Bun.password.hash(`${name}-pw`, { algorithm: "bcrypt", cost: 4 }),
    });
    writeFileSync(users, JSON.stringify({ users: [await user("first")] }));
    const { proc, lines, port } = await startMain([
      ...["--nats-url", nats.url, "--port", "0", "--ws-port", "0", "--monitor-port", "0"],
      ...["--host", "127.0.0.1", "--users-file", users],
    ]);
    try {
      const url = `mqtt://127.0.0.1:${port}`;
      await using first = await mqttjs(url, { username: "first", password: "first-pw" });
      await expect(mqttjs(url, { username: "second", password: "second-pw" })).rejects
        .toMatchObject({ code: 4 });
      writeFileSync(users, JSON.stringify({ users: [await user("first"), await user("second")] }));
      proc.kill("SIGHUP");
      await waitFor(() => lines.some((l) => l.event === "users.reloaded"), { what: "the reload" });
      await using second = await mqttjs(url, { username: "second", password: "second-pw" });
      expect(second.connack.returnCode).toBe(0);
      expect(first.client.connected).toBe(true);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
