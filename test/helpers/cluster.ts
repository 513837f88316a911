import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./process.ts";
import { keepClusterLogs } from "./run_logs.ts";

const SCRIPT = join(import.meta.dir, "../../infra/local/cluster.sh");

export interface ClusterInstance {
  readonly mqttPort: number;
  readonly wsPort: number;
  readonly monitorPort: number;
}

/** The topology of infra/local/cluster.sh: 3 NATS nodes, jetmq instances, HAProxy. */
export interface LocalCluster extends AsyncDisposable {
  readonly dir: string;
  /** MQTT through HAProxy. */
  readonly url: string;
  readonly wsUrl: string;
  readonly natsUrls: string[];
  readonly natsHttpPorts: number[];
  readonly instances: ClusterInstance[];
  /** Runs a cluster.sh subcommand (start-instance 2, kill-nats 1, …); fails on a non-zero exit. */
  sh(...args: string[]): Promise<string>;
  /** The instance (1-based) serving the MQTT client `clientId`, or 0. */
  instanceOf(clientId: string): Promise<number>;
  /** The instances' log lines that mention any of `terms`, each prefixed by its log's name. */
  logLines(terms: readonly string[]): string[];
  stop(): Promise<void>;
}

/**
 * Starts the local cluster in a temp folder on free ports below 32768 (out of the ephemeral
 * range, where busy tests' client sockets could take them). With `start: false` nothing runs
 * yet: the test drives cluster.sh's subcommands itself.
 */
export async function startLocalCluster(
  opts: { instances?: number; env?: Record<string, string>; start?: boolean } = {},
): Promise<LocalCluster> {
  const count = opts.instances ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "jetmq-cluster-"));
  const base = await freeBase(count);
  const env = {
    ...process.env,
    JETMQ_CLUSTER_DIR: dir,
    JETMQ_CLUSTER_BASE_PORT: String(base),
    JETMQ_CLUSTER_INSTANCES: String(count),
    JETMQ_LOG_LEVEL: "info",
    ...opts.env,
  };
  const sh = async (...args: string[]) => {
    const out = await run(["bash", SCRIPT, ...args], { env, timeoutMs: 180_000 });
    if (out.code !== 0) {
      throw new Error(
        `cluster.sh ${args.join(" ")} exited ${out.code}: ${out.stderr.slice(-2000)}`,
      );
    }
    return out.stdout;
  };
  const instances = Array.from({ length: count }, (_, i) => ({
    mqttPort: base + 301 + i,
    wsPort: base + 401 + i,
    monitorPort: base + 501 + i,
  }));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await sh("stop").catch(() => {});
    keepClusterLogs(dir);
    // JETMQ_TEST_KEEP_CLUSTER=1 keeps the whole folder for a post-mortem.
    if (process.env.JETMQ_TEST_KEEP_CLUSTER !== "1") rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`cluster kept in ${dir}\n`);
  };
  const cluster: LocalCluster = {
    dir,
    url: `mqtt://127.0.0.1:${base + 883}`,
    wsUrl: `ws://127.0.0.1:${base + 80}/mqtt`,
    natsUrls: [1, 2, 3].map((i) => `nats://127.0.0.1:${base + 200 + i}`),
    natsHttpPorts: [1, 2, 3].map((i) => base + 220 + i),
    instances,
    sh,
    async instanceOf(clientId) {
      for (let i = 0; i < instances.length; i++) {
        const url = `http://127.0.0.1:${instances[i]?.monitorPort}/connz?mqtt_client=${clientId}`;
        const body = await fetch(url).then((r) => r.json()).catch(() => null) as
          | { total?: number }
          | null;
        if ((body?.total ?? 0) > 0) return i + 1;
      }
      return 0;
    },
    logLines(terms) {
      const lines: string[] = [];
      for (const name of readdirSync(dir).filter((f) => /^jetmq-\d+\.log$/.test(f)).sort()) {
        for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
          if (terms.some((t) => line.includes(t))) lines.push(`${name}: ${line}`);
        }
      }
      return lines;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
  if (opts.start !== false) {
    try {
      await sh("start");
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return cluster;
}

/** A base port whose every port of the topology is free now. */
async function freeBase(instances: number): Promise<number> {
  const offsets = [80, 90, 883, 201, 202, 203, 211, 212, 213, 221, 222, 223];
  for (let i = 1; i <= instances; i++) offsets.push(300 + i, 400 + i, 500 + i);
  const bases = Array.from({ length: 9 }, (_, i) => 22_000 + 1000 * i);
  bases.sort(() => Math.random() - 0.5);
  for (const base of bases) {
    const free = await Promise.all(offsets.map((o) => isFree(base + o)));
    if (free.every(Boolean)) return base;
  }
  throw new Error("No free block of ports below 32768 for the local cluster");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
