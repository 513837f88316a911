import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Config } from "./config.ts";
import { Fanout } from "./delivery/fanout.ts";
import { Connection } from "./front/connection.ts";
import { LinkedSet } from "./front/linked_set.ts";
import type { OpenConnections } from "./monitor/views.ts";
import { type ConnectionDeps, handlerContext, limitsOf } from "./front/connection_deps.ts";
import { AuthContext } from "./auth/auth_context.ts";
import { Registry } from "./front/registry.ts";
import { openListeners } from "./front/listeners.ts";
import { drainInstance } from "./instance/drain.ts";
import { keepLease } from "./instance/lease_keeper.ts";
import { keepIdleCollection } from "./instance/idle_collector.ts";
import { keepWillTimers } from "./instance/will_timers.ts";
import { closeOnNatsLoss } from "./instance/nats_link.ts";
import { Readiness } from "./instance/readiness.ts";
import { untilReady } from "./instance/startup.ts";
import type { Logger } from "./log.ts";
import { startMonitor } from "./monitor/server.ts";
import { Bus } from "./nats/bus.ts";
import { connectNats, type NatsAccess, redact } from "./nats/connection.ts";
import { SessionConsumers } from "./nats/consumers.ts";
import { RetainedStore } from "./nats/retained.ts";
import { Leases } from "./nats/leases.ts";
import { Qos2Store } from "./nats/qos2.ts";
import { footprint } from "./nats/footprint.ts";
import { ShareGroups } from "./nats/share_groups.ts";
import { RetainedCache } from "./nats/retained_cache.ts";
import { probeStore, provisionStore, type StoreHandles } from "./nats/provision.ts";
import { SessionStore } from "./nats/sessions.ts";
import { StorePipeline } from "./nats/store_pipeline.ts";
import { TAKEOVER_WAIT_MS, Takeovers } from "./nats/takeovers.ts";
import { currentRuntime } from "./runtime/current.ts";
import { describeError, RuntimeSupportError } from "./errors.ts";
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
  connections(): OpenConnections;
  /** Distinct NATS subscriptions held for local MQTT subscriptions. */
  natsSubscriptionCount(): number;
  /** Reads the users file again (SIGHUP); open connections keep going. */
  reloadUsers(): void;
  /**
   * Empties the instance for a rolling deploy (SIGTERM, SIGUSR2, POST /drain): not ready, no new
   * connections, clients sent away at `drain_rate` with their wills held for `will_grace`.
   * Resolves when they are gone or `drain_timeout` passed; a second call joins the first.
   */
  drain(): Promise<void>;
  /** Stops at once: open connections are closed (their wills are published). */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 5_000;
/** A readiness probe of JetStream that takes longer than this has failed. */
const PROBE_TIMEOUT_MS = 1500;

/** The NATS servers and credentials from the config. */
function natsAccess(config: Config, url: string): NatsAccess {
  return {
    url,
    credsFile: config.natsCreds,
    nkeySeedFile: config.natsNkey,
    tlsCaFile: config.natsTlsCa,
    tlsCertFile: config.natsTlsCert,
    tlsKeyFile: config.natsTlsKey,
  };
}

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
  if (config.tlsCa !== null && !rt.clientCertificates) {
    // Refused, not ignored: a listener without the client certificates the operator requires
    // would let in anyone with the password.
    throw new RuntimeSupportError(
      `tls_ca (client certificates) is not supported on ${rt.name}: run jetmq on Bun for ` +
        "mutual TLS, or terminate TLS in front of jetmq",
    );
  }
  const instanceId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const ilog = log.child({ instance: instanceId });
  const stats = new Stats();
  const connections = new LinkedSet<Connection>();
  let nc: NatsConnection | null = null;
  let fanout: Fanout | null = null;
  let store: StoreHandles | null = null;
  const readiness = new Readiness({
    probe: () => (nc ? probeStore(nc, PROBE_TIMEOUT_MS) : Promise.resolve("starting")),
    graceMs: config.readyGraceMs,
    onChange: (problem) =>
      problem === null ? ilog.info("readiness.probe_ok", {}) : ilog.warn("readiness.probe_failed", {
        problem,
        action: `still ready for ${config.readyGraceMs} ms after the last good probe`,
      }),
  });
  let retainedCache: RetainedCache | null = null;
  // Up first: while NATS is not ready, /livez answers and /readyz says what start-up waits for.
  const monitor = await startMonitor(rt, config.host, config.monitorPort, {
    instanceId,
    version: pkg.version,
    stats,
    nats: () => nc,
    connections: () => connections,
    natsSubscriptions: () => fanout?.subjectCount ?? 0,
    retainedCache: () => retainedCache?.state ?? null,
    notReady: () => readiness.check(),
    drain: () => void drain(),
    footprint: () => (store ? footprint(store.jsm) : null),
  });
  let draining: Promise<void> | null = null;
  // Set once the listeners are open; a drain asked for during start-up only marks unready.
  let drain = (): Promise<void> => {
    readiness.draining();
    return Promise.resolve();
  };
  let ready;
  try {
    ready = await untilReady("NATS and JetStream", async () => {
      const conn = await connectNats({
        ...natsAccess(config, natsUrl),
        name: `jetmq-${instanceId}`,
        apiTimeoutMs: config.jsApiTimeoutMs,
        log: ilog,
      });
      try {
        const handles = await provisionStore(conn, {
          replicas: config.streamReplicas,
          apiTimeoutMs: config.jsApiTimeoutMs,
          log: ilog,
        });
        return { conn, handles };
      } catch (err) {
        await conn.close();
        throw err;
      }
    }, { timeoutMs: config.startupTimeoutMs, log: ilog, onWait: (r) => readiness.waiting(r) });
  } catch (err) {
    await monitor.stop();
    throw err;
  }
  nc = ready.conn;
  store = ready.handles;
  const echoConn = await connectNats({
    ...natsAccess(config, natsUrl),
    name: `jetmq-${instanceId}-shares`,
    apiTimeoutMs: config.jsApiTimeoutMs,
    log: ilog,
    echo: true,
  });
  const auth = new AuthContext(config, rt.passwords);
  // What jetmq asks of JetStream on a client's behalf is tried again this long (elections).
  const storeRetry = { forMs: config.storeRetryMs, log: ilog };
  const bus = new Bus(
    nc,
    new StorePipeline(nc, config.jsApiTimeoutMs, storeRetry),
    echoConn,
  );
  const registry = new Registry();
  fanout = new Fanout(bus);
  const takeovers = new Takeovers(bus);
  const listening = takeovers.listen(instanceId, (n) => registry.takeover(n.key, n.generation));
  closeOnNatsLoss(nc, () => connections);

  const cache = new RetainedCache(store.js, store.api, config.retainedCacheBytes, ilog);
  retainedCache = cache;
  cache.start();
  const deps: ConnectionDeps = {
    config,
    instanceId,
    limits: limitsOf(config),
    sessions: new SessionStore(store.sessions, storeRetry),
    consumers: new SessionConsumers(
      nc,
      store.jsm,
      store.api,
      config,
      new ShareGroups(store.shares, store.jsm, config, storeRetry),
      storeRetry,
    ),
    retained: new RetainedStore(store.js, store.jsm, store.api, cache),
    leases: new Leases(store.instances, store.wills),
    qos2: new Qos2Store(store.qos2In, store.qos2Out, storeRetry),
    takeovers,
    auth,
    bus,
    fanout,
    registry,
    stats,
    log: ilog,
  };
  const instanceCtx = handlerContext(deps, `${instanceId}-instance`, "", null);
  const leaseKeeper = await keepLease(deps.leases, config.leaseTtlMs, instanceCtx);
  const willTimers = await keepWillTimers(deps.leases, instanceCtx);
  const idleCollection = keepIdleCollection(rt.collectGarbage, ilog);
  const ended = (conn: Connection) => connections.delete(conn);
  const listeners = await openListeners(config, rt, ilog, (transport) => {
    const conn = new Connection(transport, deps, ended);
    connections.add(conn);
    stats.connectionsTotal++;
    return conn;
  });
  drain = () =>
    draining ??= drainInstance({
      readiness,
      stopListening: () => listeners.stop(),
      connections: () => connections,
      connectionCount: () => connections.size,
    }, {
      noticeMs: config.drainNoticeMs,
      ratePerSecond: config.drainRate,
      timeoutMs: config.drainTimeoutMs,
      willGraceMs: config.willGraceMs,
      log: ilog,
    }).then(() => {});
  if (readiness.phase === "starting") readiness.ready();
  ilog.info("broker.started", {
    version: pkg.version,
    runtime: `${rt.name} ${rt.version}`,
    mqtt: `${config.host}:${listeners.tcpPort ?? listeners.tlsPort}`,
    mqtts: listeners.tlsPort === null ? undefined : `${config.host}:${listeners.tlsPort}`,
    ws: `${config.host}:${listeners.wsPort}/mqtt`,
    monitor: `${config.host}:${monitor.port}`,
    nats: redact(natsUrl),
    replicas: store.replicas,
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
    natsSubscriptionCount: () => fanout?.subjectCount ?? 0,
    reloadUsers() {
      auth.reload();
      ilog.info("users.reloaded", { file: config.usersFile });
    },
    drain: () => drain(),
    async stop() {
      await listeners.stop();
      for (const conn of connections) conn.shutdown("Server shutting down");
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (connections.size > 0 && Date.now() < deadline) await sleep(10);
      // Members whose connections did not finish ending in time leave their groups here.
      await deps.consumers.shareMembersLost(instanceId).catch((err) =>
        ilog.warn("shares.leave_failed", describeError(err))
      );
      readiness.stop();
      willTimers.stop();
      idleCollection.stop();
      cache.stop();
      // Clients a drain sent away reconnect elsewhere; a takeover notice for one of them may
      // still be on its way: answered "drained", it fires no will.
      if (draining) await sleep(TAKEOVER_WAIT_MS);
      listening.unsubscribe();
      await leaseKeeper.stop();
      await monitor.stop();
      bus.stores.close();
      store.api.requests.close();
      await echoConn.drain();
      await ready.conn.drain();
      ilog.info("broker.stopped", { connectionsLeft: connections.size });
    },
  };
}
