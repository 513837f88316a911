#!/usr/bin/env bun
// One process of the idle-connections load: opens COUNT clean connections to PORT, prints
// "ready <ms>" when all are connected, holds them until its stdin closes. Several run at once:
// a process may not hold more than 20,000 open files here.
import { BenchClient } from "./client.ts";

const [port, count] = [Number(process.argv[2]), Number(process.argv[3])];
const clients: BenchClient[] = [];
const start = performance.now();
for (let i = 0; i < count; i += 200) {
  clients.push(
    ...await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, () => BenchClient.connect(port)),
    ),
  );
}
process.stdout.write(`ready ${performance.now() - start}\n`);
for await (const _ of process.stdin) {
  // held until the parent closes stdin
}
for (const c of clients) c.close();
process.exit(0);
