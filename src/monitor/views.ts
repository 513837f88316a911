import type { NatsConnection } from "@nats-io/transport-node";
import type { Connection } from "../front/connection.ts";
import type { Stats } from "../stats.ts";

/** An instance's open connections, as the views read them. */
export type OpenConnections = Iterable<Connection> & { readonly size: number };

/** What the monitoring views read: live numbers of this instance, nothing stored. */
export interface MonitorState {
  readonly instanceId: string;
  readonly version: string;
  readonly stats: Stats;
  /** Null until start-up has connected to NATS. */
  nats(): NatsConnection | null;
  connections(): OpenConnections;
  natsSubscriptions(): number;
  /** The instance's copy of the retained messages (RetainedCache), once it exists. */
  retainedCache?(): { entries: number; bytes: number; in_use: boolean } | null;
}

export interface ConnzQuery {
  readonly mqttClient?: string;
  readonly offset: number;
  readonly limit: number;
}

/** Instance, traffic and NATS server, like nats-server's /varz. */
export function varz(s: MonitorState): Record<string, unknown> {
  const conns = s.connections();
  let subscriptions = 0;
  for (const c of conns) subscriptions += c.delivery?.grants.size ?? 0;
  return {
    instance: s.instanceId,
    version: s.version,
    now: new Date().toISOString(),
    uptime_ms: Date.now() - s.stats.startedAt,
    connections: conns.size,
    total_connections: s.stats.connectionsTotal,
    subscriptions,
    nats_subscriptions: s.natsSubscriptions(),
    in_msgs: s.stats.msgsIn,
    in_bytes: s.stats.bytesIn,
    out_msgs: s.stats.msgsOut,
    out_bytes: s.stats.bytesOut,
    dropped_qos0: s.stats.droppedQos0,
    protocol_errors: s.stats.protocolErrors,
    retained_cache: s.retainedCache?.() ?? null,
    nats: natsInfo(s.nats()),
  };
}

function natsInfo(nc: NatsConnection | null): Record<string, unknown> | null {
  if (!nc) return null;
  return {
    server: nc.getServer(),
    server_id: nc.info?.server_id,
    version: nc.info?.version,
    jetstream: nc.info?.jetstream ?? false,
  };
}

function describe(c: Connection): Record<string, unknown> {
  const grants = c.delivery?.grants;
  return {
    cid: c.id,
    mqtt_client: c.clientId ?? null,
    remote: c.transport.remoteAddress,
    transport: c.transport.kind,
    clean_session: c.session?.clean ?? null,
    keepalive: c.session?.keepalive ?? null,
    connected_at: new Date(c.openedAt).toISOString(),
    subscriptions: grants
      ? Object.fromEntries([...grants.values()].map((g) => [g.filter, g.qos]))
      : {},
    in_flight: c.delivery?.inFlight ?? 0,
    in_msgs: c.msgsIn,
    out_msgs: c.msgsOut,
    pending_bytes: c.pendingBytes,
    dropped: c.droppedMessages,
  };
}

/** This instance's connections, paged, or the one of an MQTT client id (`?mqtt_client=`). */
export function connz(s: MonitorState, q: ConnzQuery): Record<string, unknown> {
  let all = [...s.connections()].filter((c) => c.session !== null);
  if (q.mqttClient !== undefined) all = all.filter((c) => c.clientId === q.mqttClient);
  const page = all.slice(q.offset, q.offset + q.limit);
  return {
    instance: s.instanceId,
    now: new Date().toISOString(),
    total: all.length,
    offset: q.offset,
    limit: q.limit,
    connections: page.map(describe),
  };
}

/** Filters subscribed on this instance, with how many local clients hold each. */
export function subsz(s: MonitorState): Record<string, unknown> {
  const filters = new Map<string, number>();
  const groups = new Map<string, number>();
  for (const c of s.connections()) {
    for (const g of c.delivery?.grants.values() ?? []) {
      const counts = g.share ? groups : filters;
      counts.set(g.filter, (counts.get(g.filter) ?? 0) + 1);
    }
  }
  const messages = s.stats.sharedMessages;
  return {
    instance: s.instanceId,
    num_filters: filters.size,
    num_nats_subscriptions: s.natsSubscriptions(),
    filters: [...filters].sort((a, b) => b[1] - a[1]).map(([filter, clients]) => ({
      filter,
      clients,
    })),
    // Shared subscriptions' groups with members here: how many, and the messages they took.
    shared: [...groups].sort((a, b) => b[1] - a[1]).map(([group, members]) => ({
      group,
      members,
      messages: messages.get(group) ?? 0,
    })),
  };
}

/** Prometheus text format: a few instance-wide series, no label per client. */
export function metrics(s: MonitorState): string {
  const v = varz(s);
  const series: Array<[string, "gauge" | "counter", string, unknown]> = [
    ["jetmq_connections", "gauge", "Open MQTT connections", v.connections],
    ["jetmq_connections_total", "counter", "MQTT connections accepted", v.total_connections],
    ["jetmq_subscriptions", "gauge", "MQTT subscriptions of open connections", v.subscriptions],
    ["jetmq_nats_subscriptions", "gauge", "NATS subscriptions held for them", v.nats_subscriptions],
    ["jetmq_messages_received_total", "counter", "MQTT packets received", v.in_msgs],
    ["jetmq_bytes_received_total", "counter", "MQTT bytes received", v.in_bytes],
    ["jetmq_messages_sent_total", "counter", "PUBLISH packets sent to clients", v.out_msgs],
    ["jetmq_bytes_sent_total", "counter", "PUBLISH bytes sent to clients", v.out_bytes],
    [
      "jetmq_dropped_qos0_total",
      "counter",
      "QoS 0 messages dropped for slow readers",
      v.dropped_qos0,
    ],
    [
      "jetmq_protocol_errors_total",
      "counter",
      "Connections closed for protocol errors",
      v.protocol_errors,
    ],
    [
      "jetmq_uptime_seconds",
      "gauge",
      "Seconds since start",
      Math.floor(Number(v.uptime_ms) / 1000),
    ],
  ];
  const text = series
    .map(([name, type, help, value]) =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`
    )
    .join("\n") + "\n";
  // One series per shared subscription's group: groups are few and named by operators' apps.
  const name = "jetmq_shared_messages_total";
  const groups = [...s.stats.sharedMessages].map(([group, n]) =>
    `${name}{group="${group.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"} ${n}`
  );
  if (groups.length === 0) return text;
  return `${text}# HELP ${name} Messages handed to members of each shared subscription's group\n` +
    `# TYPE ${name} counter\n${groups.join("\n")}\n`;
}
