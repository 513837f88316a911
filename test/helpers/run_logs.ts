import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { LogRecord } from "./broker.ts";

// A test run started by scripts/test.sh (JETMQ_TEST_RUN_DIR) keeps the logs of the brokers and
// clusters its tests started, and drops them when the run passes: a run that failed where
// nobody watched, as CI's does, can be read afterwards. Outside such a run nothing is kept.

function logsDir(kind: string): string | null {
  const run = process.env.JETMQ_TEST_RUN_DIR;
  if (!run) return null;
  const dir = join(run, "logs", kind);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A broker's log records, one JSON line each, named by when it stopped and what it was. */
export function keepBrokerLog(name: string, records: readonly LogRecord[]): void {
  const dir = logsDir("brokers");
  if (!dir) return;
  const text = records.map((r) => `${JSON.stringify(r)}\n`).join("");
  writeFileSync(join(dir, `${new Date().toISOString()}-${name}.log`), text);
}

/** A local cluster's log files (jetmq-N, nats-N, haproxy), in a folder named as its own. */
export function keepClusterLogs(clusterDir: string): void {
  const dir = logsDir(join("clusters", basename(clusterDir)));
  if (!dir) return;
  for (const name of readdirSync(clusterDir).filter((f) => f.endsWith(".log"))) {
    copyFileSync(join(clusterDir, name), join(dir, name));
  }
}
