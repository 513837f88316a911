import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** A broker under test, running as its own process on loopback. */
export interface Target {
  readonly name: string;
  readonly port: number;
  /** The process whose memory is the broker's (jetmq's own, not its nats-server). */
  readonly pid: number;
  /** jetmq's own nats-server: its process and client port (absent for the other brokers). */
  readonly nats?: { readonly pid: number; readonly port: number };
  stop(): Promise<void>;
}

/** jetmq on Bun ("jetmq") or on Deno ("jetmq-deno"), and the brokers it is compared with. */
export type TargetName = "jetmq" | "jetmq-deno" | "mosquitto" | "nats-mqtt";

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function waitListening(port: number, proc: Subprocess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function stopProcess(proc: Subprocess): Promise<void> {
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await proc.exited;
  clearTimeout(timer);
}

/** nats-server with JetStream, and optionally its own MQTT listener. */
async function natsServer(
  dir: string,
  mqttPort: number | null,
): Promise<{ proc: Subprocess; port: number }> {
  const port = freePort();
  const conf = join(dir, "nats.conf");
  writeFileSync(
    conf,
    [
      "server_name: bench",
      `listen: 127.0.0.1:${port}`,
      "max_payload: 8MB",
      `jetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }`,
      mqttPort === null ? "" : `mqtt { listen: 127.0.0.1:${mqttPort}, max_ack_pending: 1024 }`,
    ].join("\n"),
  );
  const proc = Bun.spawn(["nats-server", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  await waitListening(mqttPort ?? port, proc, "nats-server");
  return { proc, port };
}

async function startJetmq(dir: string, runtime: "bun" | "deno"): Promise<Target> {
  const nats = await natsServer(dir, null);
  const port = freePort();
  const main = join(import.meta.dir, "../src/main.ts");
  const deno = join(import.meta.dir, "../node_modules/.bin/deno");
  const proc = Bun.spawn(
    [
      ...(runtime === "bun" ? [process.execPath, main] : [deno, "run", "-A", main]),
      ...["--nats-url", `nats://127.0.0.1:${nats.port}`, "--host", "127.0.0.1"],
      ...["--port", String(port), "--ws-port", "0", "--monitor-port", "0", "--log-level", "warn"],
      ...["--drain-notice", "1ms"],
    ],
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" } },
  );
  try {
    await waitListening(port, proc, `jetmq on ${runtime}`);
  } catch (err) {
    await stopProcess(nats.proc); // not left running when jetmq cannot start
    throw err;
  }
  return {
    name: runtime === "bun" ? "jetmq" : "jetmq-deno",
    port,
    pid: proc.pid,
    nats: { pid: nats.proc.pid, port: nats.port },
    async stop() {
      await stopProcess(proc);
      await stopProcess(nats.proc);
    },
  };
}

async function startNatsMqtt(dir: string): Promise<Target> {
  const port = freePort();
  const nats = await natsServer(dir, port);
  return { name: "nats-mqtt", port, pid: nats.proc.pid, stop: () => stopProcess(nats.proc) };
}

async function startMosquitto(dir: string): Promise<Target> {
  const port = freePort();
  const conf = join(dir, "mosquitto.conf");
  // Queues as deep as the others' so the offline scenario measures the same work.
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_queued_messages 1000000",
      "max_inflight_messages 1024",
      "log_dest none",
    ].join("\n"),
  );
  const proc = Bun.spawn(["mosquitto", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  await waitListening(port, proc, "mosquitto");
  return { name: "mosquitto", port, pid: proc.pid, stop: () => stopProcess(proc) };
}

/** Starts a fresh broker with its own temp data, removed when it stops. */
export async function startTarget(name: TargetName): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `jetmq-bench-${name}-`));
  const t = name === "jetmq"
    ? await startJetmq(dir, "bun")
    : name === "jetmq-deno"
    ? await startJetmq(dir, "deno")
    : name === "mosquitto"
    ? await startMosquitto(dir)
    : await startNatsMqtt(dir);
  return {
    ...t,
    async stop() {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resident memory of a broker once it has been quiet for a while: what it holds, not the garbage
 * of what it just did (jetmq collects at the first quiet moment after a busy one; Go's and the
 * others' collectors run on their own clocks).
 */
export async function settledRssOf(pid: number): Promise<number> {
  await Bun.sleep(1500);
  return await rssOf(pid);
}

/** Resident memory of a process, in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}
