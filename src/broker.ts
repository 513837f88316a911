import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "./config.ts";
import { Fanout } from "./delivery/fanout.ts";
import { Connection } from "./front/connection.ts";
import { type ConnectionDeps, handlerContext, limitsOf } from "./front/connection_deps.ts";
import { AuthContext } from "./auth/auth_context.ts";
import { Registry } from "./front/registry.ts";
import { openListeners } from "./front/listeners.ts";
import { keepLease } from "./instance/lease_keeper.ts";
import { closeOnNatsLoss } from "./instance/nats_link.ts";
import type { Logger } from "./log.ts";
import { startMonitor } from "./monitor/server.ts";
import { Bus } from "./nats/bus.ts";
import { connectNats } from "./nats/connection.ts";
import { SessionConsumers } from "./nats/consumers.ts";
import { RetainedStore } from "./nats/retained.ts";
import { Leases } from "./nats/leases.ts";
import { Qos2Store } from "./nats/qos2.ts";
import { checkStore, provisionStore } from "./nats/provision.ts";
import { SessionStore } from "./nats/sessions.ts";
import { StorePipeline } from "./nats/store_pipeline.ts";
import { Takeovers } from "./nats/takeovers.ts";
import { currentRuntime } from "./runtime/current.ts";
import type { Runtime } from "./runtime/types.ts";
import { Stats } from "./stats.ts";
import pkg from "../package.json" with { type: "json" };

/** A running jetmq instance. */
export interface Broker {
  readonly instanceId: string;
  /** Plain TCP port; the TLS port when TLS replaces plain TCP. */
  readonly port: number;
  readonly tlsPort: number | null;
  readonly wsPort: number;
  readonly monitorPort: number;
  readonly natsUrl: string;
  readonly stats: Stats;
  connections(): ReadonlySet<Connection>;
  /** Distinct NATS subscriptions held for local MQTT subscriptions. */
  natsSubscriptionCount(): number;
  /** Reads the users file again (SIGHUP); open connections keep going. */
  reloadUsers(): void;
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Connects to NATS, verifies the store, and opens the MQTT and monitoring listeners: the wiring
 * of one instance, and nothing else.
 */
export async function startBroker(
  config: Config,
  log: Logger,
  natsUrl: string,
  runtime: Runtime | null = null,
): Promise<Broker> {
  const rt = runtime ?? await currentRuntime();
  const instanceId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const ilog = log.child({ instance: instanceId });
  const nc = await connectNats({
    url: natsUrl,
    name: `jetmq-${instanceId}`,
    apiTimeoutMs: config.jsApiTimeoutMs,
    log: ilog,
  });
  const store = await provisionStore(nc, {
    replicas: config.streamReplicas,
    apiTimeoutMs: config.jsApiTimeoutMs,
    log: ilog,
  });
  const auth = new AuthContext(config, rt.passwords);
  const bus = new Bus(nc, new StorePipeline(nc, config.jsApiTimeoutMs));
  const stats = new Stats();
  const registry = new Registry();
  const fanout = new Fanout(bus);
  const connections = new Set<Connection>();
  const takeovers = new Takeovers(bus);
  const listening = takeovers.listen(instanceId, (n) => registry.takeover(n.key, n.generation));
  closeOnNatsLoss(nc, () => connections);

  const deps: ConnectionDeps = {
    config,
    instanceId,
    limits: limitsOf(config),
    sessions: new SessionStore(store.sessions),
    consumers: new SessionConsumers(nc, store.jsm, config),
    retained: new RetainedStore(store.js, store.jsm),
    leases: new Leases(store.instances, store.wills),
    qos2: new Qos2Store(store.qos2In, store.qos2Out),
    takeovers,
    auth,
    bus,
    fanout,
    registry,
    stats,
    log: ilog,
  };
  const leaseKeeper = await keepLease(
    deps.leases,
    config.leaseTtlMs,
    handlerContext(deps, `${instanceId}-leases`, "", null),
  );
  const listeners = openListeners(config, rt, (transport) => {
    const conn = new Connection(transport, deps, (ended) => connections.delete(ended));
    connections.add(conn);
    stats.connectionsTotal++;
    return conn;
  });
  const monitor = startMonitor(rt, config.host, config.monitorPort, {
    instanceId,
    version: pkg.version,
    stats,
    nc,
    connections: () => connections,
    natsSubscriptions: () => fanout.subjectCount,
    notReady: () => checkStore(nc, store),
  });
  ilog.info("broker.started", {
    version: pkg.version,
    runtime: `${rt.name} ${rt.version}`,
    mqtt: `${config.host}:${listeners.tcpPort ?? listeners.tlsPort}`,
    mqtts: listeners.tlsPort === null ? undefined : `${config.host}:${listeners.tlsPort}`,
    ws: `${config.host}:${listeners.wsPort}/mqtt`,
    monitor: `${config.host}:${monitor.port}`,
    nats: natsUrl,
  });

  return {
    instanceId,
    port: listeners.tcpPort ?? listeners.tlsPort ?? 0,
    tlsPort: listeners.tlsPort,
    wsPort: listeners.wsPort,
    monitorPort: monitor.port,
    natsUrl,
    stats,
    connections: () => connections,
    natsSubscriptionCount: () => fanout.subjectCount,
    reloadUsers() {
      auth.reload();
      ilog.info("users.reloaded", { file: config.usersFile });
    },
    async stop() {
      await listeners.stop();
      for (const conn of connections) conn.shutdown("Server shutting down");
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (connections.size > 0 && Date.now() < deadline) await sleep(10);
      listening.unsubscribe();
      await leaseKeeper.stop();
      await monitor.stop();
      bus.stores.close();
      await nc.drain();
      ilog.info("broker.stopped", { connectionsLeft: connections.size });
    },
  };
}
