import type { Config } from "./config.ts";
import { Fanout } from "./delivery/fanout.ts";
import { Connection } from "./front/connection.ts";
import { type ConnectionDeps, handlerContext } from "./front/connection_deps.ts";
import { AuthContext } from "./auth/auth_context.ts";
import { Registry } from "./front/registry.ts";
import { openListeners } from "./front/listeners.ts";
import type { Logger } from "./log.ts";
import { startMonitor } from "./monitor/server.ts";
import { Bus } from "./nats/bus.ts";
import { connectNats } from "./nats/connection.ts";
import { SessionConsumers } from "./nats/consumers.ts";
import { RetainedStore } from "./nats/retained.ts";
import { Leases } from "./nats/leases.ts";
import { Qos2Store } from "./nats/qos2.ts";
import { keepLease } from "./lease_keeper.ts";
import { takeoverSubject } from "./nats/names.ts";
import { checkStore, provisionStore } from "./nats/provision.ts";
import { SessionStore } from "./nats/sessions.ts";
import { StorePipeline } from "./nats/store_pipeline.ts";
import { Stats } from "./stats.ts";
import pkg from "../package.json" with { type: "json" };

interface TakeoverNotice {
  key: string;
  generation: number;
}

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

/** Connects to NATS, verifies the store, and opens the MQTT and monitoring listeners. */
export async function startBroker(config: Config, log: Logger, natsUrl: string): Promise<Broker> {
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
  const auth = new AuthContext(config);
  const bus = new Bus(nc, new StorePipeline(nc, config.jsApiTimeoutMs));
  const stats = new Stats();
  const registry = new Registry<Connection>();
  const fanout = new Fanout(bus);
  const connections = new Set<Connection>();

  // Answered once the taken-over connection receives nothing more, so that the new owner's
  // redelivery of unacknowledged messages goes to it and not to the old connection.
  const onTakeover = (payload: Uint8Array) => {
    const { key, generation } = JSON.parse(new TextDecoder().decode(payload)) as TakeoverNotice;
    registry.takeover(key, generation);
  };
  const takeovers = bus.subscribe(takeoverSubject(instanceId), (m) => {
    onTakeover(m.data);
    if (m.reply) bus.notify(m.reply, new Uint8Array(0));
  });
  bus.answerLocally(takeoverSubject(instanceId), onTakeover);

  // QoS 1 to a clean session is at least once only while this instance's NATS link holds:
  // when it drops, such clients are closed and reconnect, rather than miss messages unawares.
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== "disconnect") continue;
      for (const conn of connections) {
        if (conn.delivery?.dependsOnNatsLink) {
          conn.shutdown("NATS connection lost: QoS 1 of a clean session");
        }
      }
    }
  })();

  const deps: ConnectionDeps = {
    config,
    instanceId,
    sessions: new SessionStore(store.sessions),
    consumers: new SessionConsumers(nc, store.jsm, config),
    retained: new RetainedStore(store.js, store.jsm),
    leases: new Leases(store.instances, store.wills),
    qos2: new Qos2Store(store.qos2In, store.qos2Out),
    policy: {
      maxGrantedQos: config.downgradeQos2Subscriptions ? 1 : 2,
      rejectQos2Publish: config.rejectQos2Publish,
    },
    auth,
    bus,
    fanout,
    registry,
    stats,
    log: ilog,
    onEnded: (conn) => connections.delete(conn),
  };
  const leaseKeeper = await keepLease(
    deps.leases,
    config.leaseTtlMs,
    handlerContext(deps, `${instanceId}-leases`, "", null),
  );
  const listeners = openListeners(config, (transport) => {
    const conn = new Connection(transport, deps);
    connections.add(conn);
    stats.connectionsTotal++;
    return conn;
  });
  const monitor = startMonitor(config.host, config.monitorPort, {
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
      listeners.stop();
      for (const conn of connections) conn.shutdown("Server shutting down");
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (connections.size > 0 && Date.now() < deadline) await Bun.sleep(10);
      takeovers.unsubscribe();
      await leaseKeeper.stop();
      await monitor.stop();
      bus.stores.close();
      await nc.drain();
      ilog.info("broker.stopped", { connectionsLeft: connections.size });
    },
  };
}
