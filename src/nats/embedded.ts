import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface EmbeddedOptions {
  bin: string;
  dataDir: string;
  /** 0 lets the OS choose. */
  port: number;
  /** JetStream on (default); off only to test jetmq's refusal. */
  jetstream?: boolean;
  log: Logger;
  /** Called when the server exits without being asked to. */
  onExit?: (code: number | null) => void;
}

export interface EmbeddedNats {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export const INSTALL_HINT =
  "Install it with `apt-get install nats-server` (Debian/Ubuntu, as root), or run `npm start`, " +
  "which installs it; or point jetmq at a running server with JETMQ_NATS_URL";

const READY_TIMEOUT_MS = 15_000;

/** Starts nats-server with JetStream on loopback, data in `dataDir`, and waits until it listens. */
export async function startEmbeddedNats(opts: EmbeddedOptions): Promise<EmbeddedNats> {
  const bin = Bun.which(opts.bin);
  if (!bin) throw new NatsSetupError(`Cannot find "${opts.bin}". ${INSTALL_HINT}`);
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const conf = resolve(dataDir, "nats-server.conf");
  writeFileSync(conf, natsConfig(dataDir, opts.port, opts.jetstream !== false));

  const tail: string[] = [];
  let stopping = false;
  const proc = Bun.spawn([bin, "-c", conf], { stdout: "ignore", stderr: "pipe" });
  void pipeLines(proc, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    opts.log.debug("nats.embedded.log", { line });
  });
  void proc.exited.then((code) => {
    if (!stopping) {
      opts.log.error("nats.embedded.exited", { code, lastLines: tail.slice(-5) });
      opts.onExit?.(code);
    }
  });

  const port = await waitForPort(proc, dataDir, opts.port, tail);
  const url = `nats://127.0.0.1:${port}`;
  opts.log.info("nats.embedded.started", { url, pid: proc.pid, dataDir });
  return {
    url,
    pid: proc.pid,
    async stop() {
      if (stopping) return;
      stopping = true;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(timer);
      opts.log.info("nats.embedded.stopped", { pid: proc.pid });
    },
  };
}

function natsConfig(dataDir: string, port: number, jetstream: boolean): string {
  return [
    "# Written by jetmq at every start of its embedded nats-server.",
    "host: 127.0.0.1",
    `port: ${port === 0 ? -1 : port}`,
    `ports_file_dir: ${JSON.stringify(dataDir)}`,
    "max_payload: 8MB",
    jetstream ? `jetstream { store_dir: ${JSON.stringify(dataDir)} }` : "",
    "",
  ].join("\n");
}

async function waitForPort(
  proc: Subprocess,
  dataDir: string,
  port: number,
  tail: string[],
): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new NatsSetupError(
        `Embedded nats-server exited with code ${proc.exitCode}: ${tail.slice(-3).join(" | ")}`,
      );
    }
    const listening = port === 0 ? readPortsFile(dataDir, proc.pid) : port;
    if (listening && (await canConnect(listening))) return listening;
    await Bun.sleep(50);
  }
  proc.kill("SIGKILL");
  throw new NatsSetupError(`Embedded nats-server did not listen within ${READY_TIMEOUT_MS} ms`);
}

function readPortsFile(dir: string, pid: number): number | null {
  const name = `nats-server_${pid}.ports`;
  if (!readdirSync(dir).includes(name)) return null;
  try {
    const ports = JSON.parse(readFileSync(resolve(dir, name), "utf8")) as { nats?: string[] };
    const url = ports.nats?.[0];
    return url ? Number(new URL(url).port) : null;
  } catch {
    return null; // written but not yet complete
  }
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

async function pipeLines(proc: Subprocess, onLine: (line: string) => void): Promise<void> {
  const stream = proc.stderr;
  if (!stream || typeof stream === "number") return;
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream as ReadableStream<Uint8Array>) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line);
  }
}
