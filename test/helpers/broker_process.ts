import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LogRecord, monitorReads, type TestBroker, type TestRuntime } from "./broker.ts";
import { keepBrokerLog } from "./run_logs.ts";
import { waitFor } from "./wait.ts";

const ROOT = join(import.meta.dir, "../..");

/** The command that runs src/main.ts on `runtime`. */
export function jetmqCommand(runtime: TestRuntime): string[] {
  const main = join(ROOT, "src/main.ts");
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  return runtime === "deno" ? [bin("deno"), "run", "-A", main] : [bin("bun"), main];
}

/** A broker in a process of its own, which a test may end with kill -9. */
export interface KillableBroker extends TestBroker {
  kill(): Promise<void>;
}

/** "127.0.0.1:1883" (or "…:8080/mqtt") from broker.started's fields: the port. */
const portOf = (address: unknown): number => Number(/:(\d+)(\/|$)/.exec(String(address))?.[1]);

/**
 * jetmq as a child process on `runtime` (src/main.ts with a config file), its JSON log lines
 * collected from stdout; the ports it chose come from its broker.started line.
 */
export async function startBrokerProcess(
  options: Record<string, string | number>,
  runtime: TestRuntime,
): Promise<KillableBroker> {
  const dir = mkdtempSync(join(tmpdir(), "jetmq-broker-"));
  const configFile = join(dir, "config.json");
  writeFileSync(configFile, JSON.stringify({ data_dir: join(dir, "data"), ...options }));
  const proc = Bun.spawn([...jetmqCommand(runtime), "--config", configFile], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  const logs: LogRecord[] = [];
  let stderr = "";
  void collectLines(proc.stdout, (line) => {
    if (line.startsWith("{")) logs.push(JSON.parse(line) as LogRecord);
  });
  void collectLines(proc.stderr, (line) => (stderr += `${line}\n`));
  const logged = (event: string, match = (_r: LogRecord) => true, timeoutMs = 5000) =>
    waitFor(() => logs.find((r) => r.event === event && match(r)), {
      timeoutMs,
      what: `log event ${event}`,
    });
  const started = await Promise.race([
    logged("broker.started", () => true, 30_000),
    proc.exited.then((code) => {
      throw new Error(`jetmq on ${runtime} exited ${code} at start: ${stderr.trim()}`);
    }),
  ]).catch((err) => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const port = portOf(started.mqtt);
  const monitorPort = portOf(started.monitor);
  const monitor = monitorReads(monitorPort);
  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      proc.kill("SIGINT");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await proc.exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      keepBrokerLog(`${runtime}-${String(started.instance)}`, logs);
    })();
  return {
    runtime,
    instanceId: String(started.instance),
    port,
    tlsPort: started.mqtts === undefined ? null : portOf(started.mqtts),
    wsPort: portOf(started.ws),
    monitorPort,
    natsUrl: String(options.nats_url),
    url: `mqtt://127.0.0.1:${port}`,
    logs,
    logged,
    ...monitor,
    reloadUsers: async () => {
      const seen = logs.length;
      proc.kill("SIGHUP");
      await waitFor(
        () => logs.slice(seen).some((r) => /^users\.reload/.test(r.event)),
        { what: "the users file to be read again" },
      );
    },
    drain: async () => {
      const res = await fetch(`http://127.0.0.1:${monitorPort}/drain`, { method: "POST" });
      if (res.status !== 202) throw new Error(`POST /drain: ${res.status}`);
      await waitFor(async () => (await monitor.varz()).connections === 0, {
        timeoutMs: 60_000,
        what: "the drained instance to empty",
      });
    },
    stop,
    kill: () =>
      stopped ??= (async () => {
        proc.kill("SIGKILL");
        await proc.exited;
        rmSync(dir, { recursive: true, force: true });
        keepBrokerLog(`${runtime}-${String(started.instance)}-killed`, logs);
      })(),
    [Symbol.asyncDispose]: stop,
  };
}

async function collectLines(stream: ReadableStream<Uint8Array>, each: (line: string) => void) {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) each(line);
  }
  if (rest) each(rest);
}
