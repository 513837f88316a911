import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createLogger } from "../../src/log.ts";
import { type EmbeddedNats, INSTALL_HINT, startEmbeddedNats } from "../../src/nats/embedded.ts";

export interface TestNats extends AsyncDisposable {
  readonly url: string;
  readonly pid: number;
  readonly storeDir: string;
  /** A plain NATS client for the test's own checks. */
  client(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/** A real nats-server on a free loopback port with its store in a temp dir, removed on dispose. */
export async function startNats(opts: { jetstream?: boolean } = {}): Promise<TestNats> {
  if (!Bun.which("nats-server")) {
    throw new Error(`nats-server is not installed. ${INSTALL_HINT}`);
  }
  const storeDir = mkdtempSync(join(tmpdir(), "jetmq-nats-"));
  const server: EmbeddedNats = await startEmbeddedNats({
    bin: "nats-server",
    dataDir: storeDir,
    port: 0,
    jetstream: opts.jetstream,
    log: createLogger("silent"),
  });
  const clients: NatsConnection[] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  };
  return {
    url: server.url,
    pid: server.pid,
    storeDir,
    async client() {
      const nc = await connect({ servers: server.url });
      clients.push(nc);
      return nc;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
