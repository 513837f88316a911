import { Hono } from "hono";
import type { Server } from "bun";

/** What monitoring reads from the broker. */
export interface MonitorSource {
  /** Null when ready, else what is not: NATS down, a stream or bucket not answering. */
  notReady(): Promise<string | null>;
  varz(): Record<string, unknown>;
}

export interface MonitorServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** HTTP monitoring: /healthz and /varz for now. */
export function startMonitor(host: string, port: number, state: MonitorSource): MonitorServer {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    const problem = await state.notReady();
    return problem === null
      ? c.json({ status: "ok" }, 200)
      : c.json({ status: "unavailable", reason: problem }, 503);
  });
  app.get("/varz", (c) => c.json(state.varz()));
  const server: Server<undefined> = Bun.serve({ hostname: host, port, fetch: app.fetch });
  return {
    get port() {
      return server.port ?? port;
    },
    stop: () => server.stop(true),
  };
}
