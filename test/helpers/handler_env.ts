import type { NatsConnection } from "@nats-io/transport-node";
import type { HandlerContext, QosPolicy, SessionRef } from "../../handlers/types.ts";
import { createLogger } from "../../src/log.ts";
import { Bus } from "../../src/nats/bus.ts";
import { SessionConsumers } from "../../src/nats/consumers.ts";
import { Leases } from "../../src/nats/leases.ts";
import { Qos2Store } from "../../src/nats/qos2.ts";
import { AuthContext } from "../../src/auth/auth_context.ts";
import { buildConfig } from "../../src/config.ts";
import { provisionStore, type StoreHandles } from "../../src/nats/provision.ts";
import { SessionStore } from "../../src/nats/sessions.ts";
import { StorePipeline } from "../../src/nats/store_pipeline.ts";
import type { LogRecord } from "./broker.ts";
import { startNats, type TestNats } from "./nats_server.ts";

export interface HandlerEnv extends AsyncDisposable {
  readonly nats: TestNats;
  readonly nc: NatsConnection;
  readonly store: StoreHandles;
  readonly sessions: SessionStore;
  readonly bus: Bus;
  readonly consumers: SessionConsumers;
  readonly leases: Leases;
  readonly logs: LogRecord[];
  /** A handler context as the front would build it for one connection. */
  ctx(session?: SessionRef | null, connectionId?: string): HandlerContext;
}

/** A real nats-server with jetmq's store provisioned, for calling handlers directly. */
export async function handlerEnv(
  limits: {
    ackWaitMs?: number;
    maxAckPending?: number;
    policy?: Partial<QosPolicy>;
    auth?: AuthContext;
  } = {},
): Promise<HandlerEnv> {
  const nats = await startNats();
  const nc = await nats.client();
  const logs: LogRecord[] = [];
  const log = createLogger("debug", (line) => logs.push(JSON.parse(line) as LogRecord));
  const store = await provisionStore(nc, { replicas: 1, apiTimeoutMs: 5000, log });
  const bus = new Bus(nc, new StorePipeline(nc, 5000));
  const sessions = new SessionStore(store.sessions);
  const maxAckPending = limits.maxAckPending ?? 1024;
  const leases = new Leases(store.instances, store.wills);
  const qos2 = new Qos2Store(store.qos2In, store.qos2Out);
  const openAuth = new AuthContext(buildConfig({}));
  const policy: QosPolicy = { maxGrantedQos: 2, rejectQos2Publish: false, ...limits.policy };
  const consumers = new SessionConsumers(nc, store.jsm, {
    ackWaitMs: limits.ackWaitMs ?? 30_000,
    maxAckPending,
  });
  return {
    nats,
    nc,
    store,
    sessions,
    bus,
    consumers,
    leases,
    logs,
    ctx: (session = null, connectionId = "conn-1") => ({
      instanceId: "test-instance",
      connectionId,
      remoteAddress: "127.0.0.1:1",
      session,
      sessions,
      consumers,
      leases,
      bus,
      maxAckPending,
      qos2,
      policy,
      auth: limits.auth ?? openAuth,
      log,
    }),
    [Symbol.asyncDispose]: () => nats.stop(),
  };
}
