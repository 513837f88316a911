import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createLogger } from "../../src/log.ts";
import { type EmbeddedNats, INSTALL_HINT, startEmbeddedNats } from "../../src/nats/embedded.ts";
import { Bus } from "../../src/nats/bus.ts";
import { StorePipeline } from "../../src/nats/store_pipeline.ts";

export interface TestNats extends AsyncDisposable {
  readonly url: string;
  readonly pid: number;
  readonly storeDir: string;
  /** A plain NATS client for the test's own checks. */
  client(): Promise<NatsConnection>;
  /** Stops the server and starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops the server, keeping its store and port for `resume`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** jetmq's Bus over a test's NATS client, its stores not retried. */
export function testBus(nc: NatsConnection): Bus {
  return new Bus(nc, new StorePipeline(nc, 5000, { forMs: 0, log: createLogger("silent") }));
}

/** A real nats-server on a free loopback port with its store in a temp dir, removed on dispose. */
export async function startNats(
  opts: { jetstream?: boolean; extraConfig?: string } = {},
): Promise<TestNats> {
  if (!Bun.which("nats-server")) {
    throw new Error(`nats-server is not installed. ${INSTALL_HINT}`);
  }
  const storeDir = mkdtempSync(join(tmpdir(), "jetmq-nats-"));
  const start = (port: number) =>
    startEmbeddedNats({
      bin: "nats-server",
      dataDir: storeDir,
      port,
      jetstream: opts.jetstream,
      extraConfig: opts.extraConfig,
      log: createLogger("silent"),
    });
  let server: EmbeddedNats = await start(0);
  const port = Number(new URL(server.url).port);
  const clients: NatsConnection[] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  };
  return {
    url: server.url,
    get pid() {
      return server.pid;
    },
    storeDir,
    async restart() {
      await server.stop();
      server = await start(port);
    },
    pause: () => server.stop(),
    async resume() {
      server = await start(port);
    },
    async client() {
      const nc = await connect({ servers: server.url });
      clients.push(nc);
      return nc;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
