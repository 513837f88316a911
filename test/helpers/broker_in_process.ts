import { startBroker } from "../../src/broker.ts";
import { buildConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { type LogRecord, monitorReads, type TestBroker } from "./broker.ts";
import { keepBrokerLog } from "./run_logs.ts";
import { waitFor } from "./wait.ts";

/** jetmq on Bun in this test process. */
export async function startBrokerInProcess(
  options: Record<string, string | number>,
): Promise<TestBroker> {
  const config = buildConfig(options);
  const logs: LogRecord[] = [];
  const log = createLogger(config.logLevel, (line) => logs.push(JSON.parse(line) as LogRecord));
  const broker = await startBroker(config, log, String(options.nats_url));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await broker.stop();
    keepBrokerLog(`bun-${broker.instanceId}`, logs);
  };
  return {
    runtime: "bun",
    instanceId: broker.instanceId,
    port: broker.port,
    tlsPort: broker.tlsPort,
    wsPort: broker.wsPort,
    monitorPort: broker.monitorPort,
    natsUrl: broker.natsUrl,
    url: `mqtt://127.0.0.1:${broker.port}`,
    logs,
    logged: (event, match = () => true, timeoutMs = 5000) =>
      waitFor(() => logs.find((r) => r.event === event && match(r)), {
        timeoutMs,
        what: `log event ${event}`,
      }),
    ...monitorReads(broker.monitorPort),
    reloadUsers: () => new Promise((resolve) => resolve(broker.reloadUsers())),
    drain: () => broker.drain(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
