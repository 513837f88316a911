import type { NatsConnection } from "@nats-io/transport-node";
import type { HandlerContext, Limits, SessionContext } from "../../handlers/types.ts";
import type { SessionRef } from "../../src/mqtt/session.ts";
import { createLogger } from "../../src/log.ts";
import { Bus } from "../../src/nats/bus.ts";
import { SessionConsumers } from "../../src/nats/consumers.ts";
import { ShareGroups } from "../../src/nats/share_groups.ts";
import { Leases } from "../../src/nats/leases.ts";
import { Qos2Store } from "../../src/nats/qos2.ts";
import { qos2PortFor } from "../../src/front/connection_qos2.ts";
import type { Qos2Port } from "../../handlers/ports.ts";
import { AuthContext } from "../../src/auth/auth_context.ts";
import { buildConfig } from "../../src/config.ts";
import { limitsOf } from "../../src/front/connection_deps.ts";
import { provisionStore, type StoreHandles } from "../../src/nats/provision.ts";
import { SessionStore } from "../../src/nats/sessions.ts";
import { StorePipeline } from "../../src/nats/store_pipeline.ts";
import { Takeovers } from "../../src/nats/takeovers.ts";
import { bcrypt } from "../../src/runtime/bcrypt.ts";
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
  readonly qos2: Qos2Store;
  readonly logs: LogRecord[];
  /** A handler context as the front would build it for one connection. */
  ctx(session?: null, connectionId?: string): HandlerContext;
  ctx(session: SessionRef, connectionId?: string): SessionContext;
  /**
   * The context of a connected anonymous client with a clean session that is not in the store:
   * for handlers whose outcome does not depend on the session.
   */
  connected(connectionId?: string): SessionContext;
  /** Moves the handlers' clock (`ctx.now()`) forward, instead of waiting. */
  advanceClock(ms: number): void;
  /** Filters the connection has now (what `ctx.subscribed` answers). */
  readonly liveFilters: Set<string>;
}

/** A real nats-server with jetmq's store provisioned, for calling handlers directly. */
export async function handlerEnv(
  opts: { ackWaitMs?: number; limits?: Partial<Limits>; auth?: AuthContext } = {},
): Promise<HandlerEnv> {
  const nats = await startNats();
  const nc = await nats.client();
  const logs: LogRecord[] = [];
  const log = createLogger("debug", (line) => logs.push(JSON.parse(line) as LogRecord));
  const store = await provisionStore(nc, { replicas: 1, apiTimeoutMs: 5000, log });
  const bus = new Bus(nc, new StorePipeline(nc, 5000, { forMs: 1500, log }));
  const sessions = new SessionStore(store.sessions);
  const limits: Limits = { ...limitsOf(buildConfig({})), ...opts.limits };
  const leases = new Leases(store.instances, store.wills);
  const retry = { forMs: 1500, log };
  const qos2 = new Qos2Store(store.qos2In, store.qos2Out, retry);
  const admission = opts.auth ?? new AuthContext(buildConfig({}), bcrypt);
  const consumerLimits = {
    ackWaitMs: opts.ackWaitMs ?? 30_000,
    maxAckPending: limits.maxAckPending,
  };
  const shares = new ShareGroups(store.shares, store.jsm, consumerLimits, retry);
  const consumers = new SessionConsumers(nc, store.jsm, store.api, consumerLimits, shares, retry);
  const takeovers = new Takeovers(bus);
  let offset = 0;
  // The connection's live filters, as the front would report them.
  const liveFilters = new Set<string>();
  // A clean session's inbound QoS 2 state lives in its connection, as the front keeps it.
  const connectionQos2 = new Map<string, Qos2Port>();
  const qos2For = (session: SessionRef | null, connectionId: string): Qos2Port => {
    if (!session) return qos2;
    const at = `${session.key}/${connectionId}`;
    let port = connectionQos2.get(at);
    if (!port) connectionQos2.set(at, port = qos2PortFor(qos2, session, connectionId));
    return port;
  };
  const ctx = (session: SessionRef | null = null, connectionId = "conn-1") => ({
    instanceId: "test-instance",
    connectionId,
    remoteAddress: "127.0.0.1:1",
    session,
    sessions,
    consumers,
    wills: leases,
    bus,
    takeovers,
    qos2: qos2For(session, connectionId),
    admission,
    limits,
    log,
    now: () => Date.now() + offset,
    subscribed: (filter: string) => liveFilters.has(filter),
  });
  return {
    nats,
    nc,
    store,
    sessions,
    bus,
    consumers,
    leases,
    qos2,
    logs,
    ctx: ctx as HandlerEnv["ctx"],
    connected: (connectionId = "conn-1") =>
      ctx({
        key: `anon-${connectionId}`,
        clientId: `anon-${connectionId}`,
        clean: true,
        generation: 1,
        protocolVersion: 4,
        keepalive: 0,
        identity: { name: null, permissions: null, maxConnections: null },
        expiry: 0,
      }, connectionId) as SessionContext,
    advanceClock: (ms) => void (offset += ms),
    liveFilters,
    [Symbol.asyncDispose]: () => nats.stop(),
  };
}
