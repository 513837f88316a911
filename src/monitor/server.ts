import { type Context, Hono } from "hono";
import { AddressList, hostOf } from "../net/cidr.ts";
import type { HttpConnection, Listener, Runtime } from "../runtime/types.ts";
import type { StreamFootprint } from "../nats/footprint.ts";
import { STATUS_PAGE } from "./status_page.ts";
import { connz, metrics, type MonitorState, subsz, varz } from "./views.ts";

export interface MonitorSource extends MonitorState {
  /** Null when ready for new clients, else why not (starting, draining, JetStream silent). */
  notReady(): Promise<string | null>;
  /** Starts draining the instance (POST /drain, from this machine only). */
  drain(): void;
  /** jetmq's streams and buckets in JetStream; null until start-up has reached NATS. */
  footprint(): Promise<Record<string, StreamFootprint>> | null;
}

const LOOPBACK = AddressList.parse("127.0.0.0/8, ::1") as AddressList;

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
): Promise<MonitorServer> {
  const app = new Hono<{ Bindings: { conn: HttpConnection } }>();
  app.get("/", (c) => c.html(STATUS_PAGE));
  // Liveness: this process answers, so it serves its clients; restart it only when this fails.
  app.get("/livez", (c) => c.json({ status: "ok", uptime_ms: Date.now() - state.stats.startedAt }));
  // Readiness: send it new clients. The load balancer checks this one (/healthz is its alias).
  const ready = async (c: Context<{ Bindings: { conn: HttpConnection } }>) => {
    const problem = await state.notReady();
    return problem === null
      ? c.json({ status: "ok" }, 200)
      : c.json({ status: "unavailable", reason: problem }, 503);
  };
  app.get("/readyz", ready);
  app.get("/healthz", ready);
  // A drain moves every client off this instance: only an operator on the machine may ask.
  app.post("/drain", (c) => {
    if (!LOOPBACK.contains(hostOf(c.env.conn.remoteAddress))) {
      return c.json({ status: "refused", reason: "POST /drain is taken from loopback only" }, 403);
    }
    state.drain();
    return c.json({ status: "draining" }, 202);
  });
  app.get("/varz", (c) => c.json(varz(state)));
  app.get("/connz", (c) =>
    c.json(connz(state, {
      mqttClient: c.req.query("mqtt_client"),
      offset: number(c.req.query("offset"), 0, Number.MAX_SAFE_INTEGER),
      limit: number(c.req.query("limit"), 1024, 10_000),
    })));
  app.get("/subsz", (c) => c.json(subsz(state)));
  app.get("/jsz", async (c) => {
    const streams = await state.footprint()?.catch((err: unknown) => String(err));
    if (typeof streams !== "object") {
      return c.json({ status: "unavailable", reason: streams ?? "starting" }, 503);
    }
    return c.json({ instance: state.instanceId, now: new Date().toISOString(), streams });
  });
  app.get(
    "/metrics",
    (c) => c.text(metrics(state), 200, { "Content-Type": "text/plain; version=0.0.4" }),
  );
  return runtime.serveHttp({ host, port }, (req, conn) => app.fetch(req, { conn }));
}
