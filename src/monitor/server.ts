import { Hono } from "hono";
import type { Listener, Runtime } from "../runtime/types.ts";
import { STATUS_PAGE } from "./status_page.ts";
import { connz, metrics, type MonitorState, subsz, varz } from "./views.ts";

export interface MonitorSource extends MonitorState {
  /** Null when ready, else what is not: NATS down, a stream or bucket not answering. */
  notReady(): Promise<string | null>;
}

export type MonitorServer = Listener;

const number = (value: string | undefined, fallback: number, max: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
};

/** HTTP monitoring with Hono: health, JSON views like nats-server's, Prometheus, a status page. */
export function startMonitor(
  runtime: Runtime,
  host: string,
  port: number,
  state: MonitorSource,
): MonitorServer {
  const app = new Hono();
  app.get("/", (c) => c.html(STATUS_PAGE));
  app.get("/healthz", async (c) => {
    const problem = await state.notReady();
    return problem === null
      ? c.json({ status: "ok" }, 200)
      : c.json({ status: "unavailable", reason: problem }, 503);
  });
  app.get("/varz", (c) => c.json(varz(state)));
  app.get("/connz", (c) =>
    c.json(connz(state, {
      mqttClient: c.req.query("mqtt_client"),
      offset: number(c.req.query("offset"), 0, Number.MAX_SAFE_INTEGER),
      limit: number(c.req.query("limit"), 1024, 10_000),
    })));
  app.get("/subsz", (c) => c.json(subsz(state)));
  app.get(
    "/metrics",
    (c) => c.text(metrics(state), 200, { "Content-Type": "text/plain; version=0.0.4" }),
  );
  return runtime.serveHttp({ host, port }, (req) => app.fetch(req));
}
