#!/usr/bin/env bun
// The offline-queue drain, repeated on one broker so that its JIT is warm, with the CPU each
// process spent during each drain: a persistent QoS 1 session goes offline, 10,000 messages
// are queued for it, it comes back; the drain ends with its last message.
// `bun bench/drain_rounds.ts [jetmq|jetmq-deno|nats-mqtt|mosquitto] [rounds] [--stored]`
// --stored: the messages are stored straight into jetmq's stream by a NATS client (as a
// JetStream publisher would), so the broker's work in the round is the drain alone.
// JETMQ_* variables reach jetmq (JETMQ_MAX_ACK_PENDING=10000, say).
import { readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { BenchClient, stampedPayload } from "./client.ts";
import { median, runId } from "./measure.ts";
import { publishWindowed } from "./scenarios/qos1.ts";
import { startTarget, type TargetName } from "./targets.ts";

const N = 10_000;
const args = Bun.argv.slice(2).filter((a) => a !== "--stored");
const stored = Bun.argv.includes("--stored");
const name = (args[0] ?? "jetmq") as TargetName;
const rounds = Number(args[1] ?? 8);

/** CPU time of a process so far, in ms (user + system, from /proc). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function storeStraight(natsPort: number, subject: string): Promise<void> {
  const nc = await connect({ servers: `127.0.0.1:${natsPort}` });
  const js = jetstream(nc);
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) => js.publish(subject, stampedPayload(i + j))),
    );
  }
  await nc.close();
}

const target = await startTarget(name);
if (stored && !target.nats) throw new Error(`--stored needs jetmq, not ${name}`);
const rows: Array<{ ms: number; broker: number; nats: number }> = [];
try {
  for (let r = 0; r < rounds; r++) {
    const id = runId();
    const clientId = `drain-${id}`;
    const first = await BenchClient.connect(target.port, { clientId, clean: false });
    await first.subscribe(`bench/${id}/off`, 1);
    await first.disconnect();
    if (stored) await storeStraight(target.nats!.port, `$JETMQ.msgs.bench.${id}.off`);
    else await publishWindowed(target.port, `bench/${id}/off`, N);

    const broker0 = cpuMs(target.pid);
    const nats0 = target.nats ? cpuMs(target.nats.pid) : 0;
    const start = performance.now();
    let got = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const back = await BenchClient.connect(target.port, {
      clientId,
      clean: false,
      onPublish: () => void (++got === N && done()),
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${got} of ${N} in 30 s`)), 30_000);
    });
    await Promise.race([all, late]).finally(() => clearTimeout(timer));
    const row = {
      ms: performance.now() - start,
      broker: cpuMs(target.pid) - broker0,
      nats: target.nats ? cpuMs(target.nats.pid) - nats0 : NaN,
    };
    rows.push(row);
    back.close();
    process.stdout.write(
      `round ${r + 1}: ${row.ms.toFixed(0)} ms, broker CPU ${row.broker} ms` +
        (target.nats ? `, its nats-server CPU ${row.nats} ms\n` : "\n"),
    );
  }
} finally {
  await target.stop();
}
// The first rounds include the JIT's compiling: the medians are of the rest.
const warm = rows.slice(Math.min(3, rows.length - 1));
const med = (pick: (r: (typeof rows)[number]) => number) => median(warm.map(pick)).toFixed(0);
process.stdout.write(
  `${name}, drain of ${N}${stored ? " (stored straight into JetStream)" : ""}, medians of ` +
    `rounds ${rows.length - warm.length + 1}–${rows.length}: ${med((r) => r.ms)} ms, broker CPU ` +
    `${med((r) => r.broker)} ms` +
    (target.nats ? `, nats-server CPU ${med((r) => r.nats)} ms\n` : "\n"),
);
