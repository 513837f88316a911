import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface EmbeddedOptions {
  bin: string;
  dataDir: string;
  /** 0 lets the OS choose. */
  port: number;
  /** JetStream on (default); off only to test jetmq's refusal. */
  jetstream?: boolean;
  /** More nats-server configuration (authorization, tls), for tests of secured servers. */
  extraConfig?: string;
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
  const bin = findExecutable(opts.bin);
  if (!bin) throw new NatsSetupError(`Cannot find "${opts.bin}". ${INSTALL_HINT}`);
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const conf = resolve(dataDir, "nats-server.conf");
  writeFileSync(
    conf,
    natsConfig(dataDir, opts.port, opts.jetstream !== false) + (opts.extraConfig ?? ""),
  );

  const tail: string[] = [];
  let stopping = false;
  const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  const pid = proc.pid ?? 0;
  pipeLines(proc, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    opts.log.debug("nats.embedded.log", { line });
  });
  const exited = new Promise<number | null>((done) => {
    proc.once("exit", (code) => done(code));
    proc.once("error", () => done(-1));
  });
  void exited.then((code) => {
    if (!stopping) {
      opts.log.error("nats.embedded.exited", { code, lastLines: tail.slice(-5) });
      opts.onExit?.(code);
    }
  });

  const port = await waitForPort(proc, exited, dataDir, opts.port, tail);
  const url = `nats://127.0.0.1:${port}`;
  opts.log.info("nats.embedded.started", { url, pid, dataDir });
  return {
    url,
    pid,
    async stop() {
      if (stopping) return;
      stopping = true;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      opts.log.info("nats.embedded.stopped", { pid });
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
  proc: ChildProcess,
  exited: Promise<number | null>,
  dataDir: string,
  port: number,
  tail: string[],
): Promise<number> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new NatsSetupError(
        `Embedded nats-server exited with code ${exitCode}: ${tail.slice(-3).join(" | ")}`,
      );
    }
    const listening = port === 0 ? readPortsFile(dataDir, proc.pid ?? 0) : port;
    if (listening && (await canConnect(listening))) return listening;
    await sleep(50);
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

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.end();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

function pipeLines(proc: ChildProcess, onLine: (line: string) => void): void {
  const decoder = new TextDecoder();
  let rest = "";
  proc.stderr?.on("data", (chunk: Uint8Array) => {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** The path of an executable: `name` itself when it holds a slash, else found on PATH. */
export function findExecutable(name: string): string | null {
  const candidates = name.includes("/") || isAbsolute(name)
    ? [name]
    : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return resolve(path);
    } catch {
      // not here
    }
  }
  return null;
}
