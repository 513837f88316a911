import { afterAll, beforeAll } from "bun:test";
import { type Broker, startBroker } from "../../src/broker.ts";
import { buildConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { startNats, type TestNats } from "./nats_server.ts";
import { waitFor } from "./wait.ts";

export type LogRecord = Record<string, unknown> & { event: string; level: string };

export interface TestBroker extends Broker, AsyncDisposable {
  readonly url: string;
  readonly logs: LogRecord[];
  /** Waits for a log record of `event` that satisfies `match`. */
  logged(event: string, match?: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
}

/** A jetmq instance in this process on a free port, its log records kept for assertions. */
export async function startTestBroker(
  natsUrl: string,
  options: Record<string, string | number> = {},
): Promise<TestBroker> {
  const config = buildConfig({
    host: "127.0.0.1",
    port: 0,
    ws_port: 0,
    tls_port: 0,
    monitor_port: 0,
    nats_url: natsUrl,
    log_level: "debug",
    ...options,
  });
  const logs: LogRecord[] = [];
  const log = createLogger(config.logLevel, (line) => logs.push(JSON.parse(line) as LogRecord));
  const broker = await startBroker(config, log, natsUrl);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await broker.stop();
  };
  return {
    ...broker,
    instanceId: broker.instanceId,
    port: broker.port,
    tlsPort: broker.tlsPort,
    wsPort: broker.wsPort,
    monitorPort: broker.monitorPort,
    natsUrl: broker.natsUrl,
    stats: broker.stats,
    url: `mqtt://127.0.0.1:${broker.port}`,
    logs,
    stop,
    logged: (event, match = () => true, timeoutMs = 5000) =>
      waitFor(() => logs.find((r) => r.event === event && match(r)), {
        timeoutMs,
        what: `log event ${event}`,
      }),
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * One nats-server and `count` jetmq instances on it for a whole test file, started before its
 * tests and stopped after them; `ready` receives them.
 */
export function useInstances(
  count: number,
  options: Record<string, string | number>,
  ready: (nats: TestNats, brokers: TestBroker[]) => void,
): void {
  let nats: TestNats | undefined;
  const brokers: TestBroker[] = [];
  beforeAll(async () => {
    nats = await startNats();
    for (let i = 0; i < count; i++) brokers.push(await startTestBroker(nats.url, options));
    ready(nats, brokers);
  });
  afterAll(async () => {
    for (const b of brokers) await b.stop();
    await nats?.stop();
  });
}
