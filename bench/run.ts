#!/usr/bin/env bun
// jetmq side by side with mosquitto and nats-server's MQTT on this machine: every scenario
// against each broker, repeated with the brokers interleaved, medians and ratios printed.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { median, type Metrics, type Scenario } from "./measure.ts";
import { idleConnections } from "./scenarios/connections.ts";
import { latencyQos0, latencyQos1 } from "./scenarios/latency.ts";
import { offlineQueue, qos1EndToEnd, qos2EndToEnd } from "./scenarios/qos1.ts";
import { retained100k, retained10k } from "./scenarios/retained.ts";
import { fanIn, fanOut } from "./scenarios/throughput.ts";
import { cleanConnects, persistentSessions } from "./scenarios/sessions.ts";
import { ownTopics } from "./scenarios/subscribed.ts";
import { manyIdle } from "./scenarios/many_idle.ts";
import { sharedGroup } from "./scenarios/shared.ts";
import { disconnectStorm } from "./scenarios/disconnect_storm.ts";
import { startTarget, type Target, type TargetName } from "./targets.ts";

const SCENARIOS: Scenario[] = [
  fanIn,
  fanOut,
  qos1EndToEnd,
  sharedGroup,
  qos2EndToEnd,
  latencyQos0,
  latencyQos1,
  idleConnections,
  disconnectStorm,
  retained10k,
  retained100k,
  offlineQueue,
  persistentSessions,
  cleanConnects,
  ownTopics,
  manyIdle,
];
const args = Bun.argv.slice(2);
const option = (name: string) => args.includes(name) ? args[args.indexOf(name) + 1] ?? "" : "";
// --runtime deno: jetmq on Deno too, in the same run as on Bun. --targets: a subset.
const TARGETS: TargetName[] = (option("--targets") ||
  (option("--runtime") === "deno"
    ? "jetmq,jetmq-deno,mosquitto,nats-mqtt"
    : "jetmq,mosquitto,nats-mqtt")).split(",") as TargetName[];
const JETMQS = TARGETS.filter((t) => t.startsWith("jetmq"));
const OTHERS = TARGETS.filter((t) => !t.startsWith("jetmq"));
const repeats = Number(args[args.indexOf("--repeats") + 1] || 3) || 3;
const only = option("--only");
const scenarios = SCENARIOS.filter((s) =>
  !only || s.name.toLowerCase().includes(only.toLowerCase())
);

/** Runs `s` on `target`, or on a broker of its own (stopped after) when `target` is null. */
async function runOn(
  target: Target | null,
  name: TargetName,
  s: Scenario,
): Promise<Metrics | null> {
  if (target) return await s.run(target.port, target.pid);
  const own = await startTarget(name);
  try {
    return await s.run(own.port, own.pid);
  } finally {
    await own.stop();
  }
}

/** results[scenario][target][metric] = one value per repeat */
const results: Record<string, Record<string, Record<string, number[]>>> = {};

for (let r = 0; r < repeats; r++) {
  // Rotate the order so no broker always runs first (warm caches, a busier machine).
  const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length] as TargetName);
  for (const name of order) {
    const target = await startTarget(name);
    try {
      for (const s of scenarios) {
        const m: Metrics | null = await runOn(s.fresh ? null : target, name, s).catch((err) => {
          process.stderr.write(
            `${name} / ${s.name}: ${err instanceof Error ? err.message : err}\n`,
          );
          return null;
        });
        for (const [k, v] of Object.entries(m ?? {})) {
          ((results[s.name] ??= {})[name] ??= {})[k] ??= [];
          results[s.name]![name]![k]!.push(v);
        }
        process.stderr.write(
          `run ${r + 1}/${repeats} ${name.padEnd(9)} ${s.name}: ${JSON.stringify(m)}\n`,
        );
      }
    } finally {
      await target.stop();
    }
  }
}

const fmt = (v: number) =>
  !Number.isFinite(v)
    ? "—"
    : Math.abs(v) >= 100
    ? Math.round(v).toLocaleString("en-US")
    : v.toFixed(2);
const ratio = (
  a: number,
  b: number,
) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "—");
// Every target's median, then each jetmq's ratio to every other broker (and Deno's to Bun's).
const pairs: Array<[TargetName, TargetName]> = [
  ...JETMQS.flatMap((j) => OTHERS.map((o) => [j, o] as [TargetName, TargetName])),
  ...(JETMQS.length > 1 ? [["jetmq-deno", "jetmq"] as [TargetName, TargetName]] : []),
];
const lines = [
  `| scenario | metric | ${TARGETS.join(" | ")} | ${
    pairs.map(([a, b]) => `${a} / ${b}`).join(" | ")
  } |`,
  `| --- | --- |${" ---: |".repeat(TARGETS.length + pairs.length)}`,
];
for (const s of scenarios) {
  for (const metric of Object.keys(s.metrics)) {
    const med = (t: string) => median(results[s.name]?.[t]?.[metric] ?? []);
    const cells = [
      ...TARGETS.map((t) => fmt(med(t))),
      ...pairs.map(([a, b]) => ratio(med(a), med(b))),
    ];
    lines.push(`| ${s.name} | ${metric} (${s.metrics[metric]} is better) | ${cells.join(" | ")} |`);
  }
}
const machine =
  `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `load from Bun ${Bun.version}, medians of ${repeats} interleaved runs, 64-byte payloads`;
const table = [`Machine: ${machine}`, "", ...lines]
  .join("\n");
process.stdout.write(table + "\n");
const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replaceAll(":", "-");
writeFileSync(join(dir, `${stamp}.md`), table + "\n");
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, results }, null, 2));
