import { afterAll, beforeAll } from "bun:test";
import { startBrokerInProcess } from "./broker_in_process.ts";
import { startBrokerProcess } from "./broker_process.ts";
import { startNats, type TestNats } from "./nats_server.ts";

export type LogRecord = Record<string, unknown> & { event: string; level: string };

/** What the tests read of an instance's state: its /varz, on every runtime. */
export interface Varz {
  readonly connections: number;
  readonly subscriptions: number;
  readonly nats_subscriptions: number;
  readonly in_msgs: number;
  readonly dropped_qos0: number;
  readonly protocol_errors: number;
}

/** One connection as /connz describes it. */
export interface ConnzEntry {
  readonly mqtt_client: string | null;
  readonly remote: string;
  readonly dropped: number;
  readonly pending_bytes: number;
  readonly subscriptions: Record<string, number>;
}

export type TestRuntime = "bun" | "deno";

/**
 * The runtime jetmq runs on in these tests: Bun in this process (the default), or Deno as a
 * child process (JETMQ_TEST_RUNTIME=deno). Tests see the same interface either way and read the
 * instance's state over its monitoring endpoints, as an operator would.
 */
export const TEST_RUNTIME: TestRuntime = process.env.JETMQ_TEST_RUNTIME === "deno" ? "deno" : "bun";

export interface TestBroker extends AsyncDisposable {
  readonly runtime: TestRuntime;
  readonly instanceId: string;
  /** Plain TCP port; the TLS port when TLS replaces plain TCP. */
  readonly port: number;
  readonly tlsPort: number | null;
  readonly wsPort: number;
  readonly monitorPort: number;
  readonly natsUrl: string;
  readonly url: string;
  readonly logs: LogRecord[];
  /** Waits for a log record of `event` that satisfies `match`. */
  logged(event: string, match?: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  varz(): Promise<Varz>;
  /** This instance's connections (with a client id), or the one of `clientId`. */
  connz(clientId?: string): Promise<ConnzEntry[]>;
  /** Reads the users file again (SIGHUP for a process); resolves once it is in use. */
  reloadUsers(): Promise<void>;
  /** Drains the instance; resolves when its clients are gone. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** A jetmq instance on free ports on TEST_RUNTIME (or `runtime`), its log records kept. */
export function startTestBroker(
  natsUrl: string,
  options: Record<string, string | number> = {},
  runtime: TestRuntime = TEST_RUNTIME,
): Promise<TestBroker> {
  const config = {
    host: "127.0.0.1",
    port: 0,
    ws_port: 0,
    tls_port: 0,
    monitor_port: 0,
    nats_url: natsUrl,
    log_level: "debug",
    ...options,
  };
  return runtime === "bun" ? startBrokerInProcess(config) : startBrokerProcess(config, runtime);
}

/** The helpers both kinds of test broker share, over the monitoring port. */
export function monitorReads(monitorPort: number): Pick<TestBroker, "varz" | "connz"> {
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${monitorPort}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return await res.json();
  };
  return {
    varz: async () => (await get("/varz")) as Varz,
    connz: async (clientId) => {
      const query = clientId === undefined
        ? "?limit=10000"
        : `?mqtt_client=${encodeURIComponent(clientId)}`;
      return ((await get(`/connz${query}`)) as { connections: ConnzEntry[] }).connections;
    },
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
