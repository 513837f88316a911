#!/usr/bin/env bun
// What NATS alone costs for an offline queue's drain, without jetmq: a bare nats.js client
// empties a durable push consumer of 10,000 messages on a stream kept as jetmq keeps its
// messages (file store, interest retention, max_ack_pending 1024), acknowledging each message as
// it comes. nats-server's CPU and the time are the floor under jetmq's "Offline queue of 10,000"
// figure; nats-server's own MQTT drains without the network between the two.
// `bun bench/nats_floor.ts [rounds]`
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { median } from "./measure.ts";

const N = 10_000;
const rounds = Number(Bun.argv[2] ?? 8);
const ACK = new TextEncoder().encode("+ACK");

/** CPU time of a process so far, in ms (user + system, from /proc). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), "jetmq-nats-floor-"));
const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const port = probe.port;
probe.stop(true);
writeFileSync(
  join(dir, "nats.conf"),
  `listen: 127.0.0.1:${port}\njetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }\n`,
);
const server = Bun.spawn(["nats-server", "-c", join(dir, "nats.conf")], {
  stdout: "ignore",
  stderr: "ignore",
});
try {
  let nc = null;
  for (let i = 0; i < 100 && !nc; i++) {
    nc = await connect({ servers: `127.0.0.1:${port}` }).catch(() =>
      Bun.sleep(100).then(() => null)
    );
  }
  if (!nc) throw new Error("nats-server did not start");
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: "floor", subjects: ["floor.>"], retention: "interest" as never });
  const times: number[] = [];
  const serverCpu: number[] = [];
  const clientCpu: number[] = [];
  const payload = new Uint8Array(64);
  for (let r = 0; r < rounds; r++) {
    await jsm.consumers.add("floor", {
      durable_name: `c${r}`,
      deliver_subject: `deliver.${r}`,
      filter_subject: `floor.${r}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1024,
    });
    for (let i = 0; i < N; i += 500) {
      await Promise.all(Array.from({ length: 500 }, () => js.publish(`floor.${r}`, payload)));
    }
    const server0 = cpuMs(server.pid);
    const client0 = process.cpuUsage();
    const start = performance.now();
    let got = 0;
    const conn = nc;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`only ${got} of ${N} in 30 s`)), 30_000);
      conn.subscribe(`deliver.${r}`, {
        callback: (_err, m) => {
          if (m.reply) conn.publish(m.reply, ACK);
          if (++got === N) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
    times.push(performance.now() - start);
    serverCpu.push(cpuMs(server.pid) - server0);
    const used = process.cpuUsage(client0);
    clientCpu.push((used.user + used.system) / 1000);
  }
  await nc.close();
  // The first rounds include the JIT's compiling: the medians are of the rest.
  const warm = (xs: number[]) => median(xs.slice(Math.min(3, xs.length - 1)));
  process.stdout.write(
    `drain of ${N} through a push consumer, ${rounds} rounds (medians of the warm ones):\n` +
      `  ms ${warm(times).toFixed(0)}, nats-server CPU ms ${warm(serverCpu).toFixed(0)}, ` +
      `client CPU ms ${warm(clientCpu).toFixed(0)}\n` +
      `  all: ms ${times.map((t) => t.toFixed(0)).join(" ")}; nats-server CPU ms ${
        serverCpu.join(" ")
      }\n`,
  );
} finally {
  server.kill();
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}
