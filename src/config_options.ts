import { LOG_LEVELS, type LogLevel } from "./log.ts";
import type { AddressList } from "./net/cidr.ts";

/** What an option of each kind holds once parsed (config.ts parses and validates). */
export interface KindTypes {
  string: string;
  /** Free text that may be left empty (null then). */
  text: string | null;
  port: number;
  size: number;
  /** Milliseconds. */
  duration: number;
  level: LogLevel;
  replicas: number | "auto";
  url: string | null;
  count: number;
  bool: boolean;
  path: string | null;
  limit: number;
  addresses: AddressList;
}

export type Kind = keyof KindTypes;

export interface OptionSpec {
  readonly key: string;
  /** The Config field that holds it. */
  readonly field: string;
  readonly kind: Kind;
  readonly fallback: string;
  readonly help: string;
}

/** Every option with its default; docs/configuration.md's table mirrors this list. */
export const OPTIONS = [
  { key: "host", field: "host", kind: "string", fallback: "0.0.0.0", help: "MQTT listen address" },
  { key: "port", field: "port", kind: "port", fallback: "1883", help: "MQTT TCP port (0: any)" },
  {
    key: "ws_port",
    field: "wsPort",
    kind: "port",
    fallback: "8080",
    help: "MQTT over WebSocket port, path /mqtt (0: any)",
  },
  {
    key: "tls_cert",
    field: "tlsCert",
    kind: "path",
    fallback: "",
    help: "PEM certificate file: with tls_key, turns on MQTT over TLS",
  },
  { key: "tls_key", field: "tlsKey", kind: "path", fallback: "", help: "PEM private key file" },
  {
    key: "tls_ca",
    field: "tlsCa",
    kind: "path",
    fallback: "",
    help: "PEM CA file: clients must present a certificate it signed",
  },
  {
    key: "tls_port",
    field: "tlsPort",
    kind: "port",
    fallback: "8883",
    help: "MQTT over TLS port (0: any)",
  },
  {
    key: "tls_only",
    field: "tlsOnly",
    kind: "bool",
    fallback: "false",
    help: "with TLS on: no plain TCP listener",
  },
  {
    key: "ws_tls",
    field: "wsTls",
    kind: "bool",
    fallback: "false",
    help: "with TLS on: WebSocket over TLS (wss) too",
  },
  {
    key: "nats_url",
    field: "natsUrl",
    kind: "url",
    fallback: "",
    help: "NATS server URLs, comma-separated (user:password@ or token@ allowed); " +
      "empty starts an embedded nats-server with JetStream",
  },
  {
    key: "nats_creds",
    field: "natsCreds",
    kind: "path",
    fallback: "",
    help: "NATS credentials file (.creds: user JWT and NKey seed)",
  },
  {
    key: "nats_nkey",
    field: "natsNkey",
    kind: "path",
    fallback: "",
    help: "file holding an NKey seed (SU…) to authenticate to NATS with",
  },
  {
    key: "nats_tls_ca",
    field: "natsTlsCa",
    kind: "path",
    fallback: "",
    help: "PEM CA that signed the NATS servers' certificates (turns TLS to NATS on)",
  },
  {
    key: "nats_tls_cert",
    field: "natsTlsCert",
    kind: "path",
    fallback: "",
    help: "PEM client certificate for NATS servers that verify clients (with nats_tls_key)",
  },
  {
    key: "nats_tls_key",
    field: "natsTlsKey",
    kind: "path",
    fallback: "",
    help: "PEM private key of nats_tls_cert",
  },
  {
    key: "startup_timeout",
    field: "startupTimeoutMs",
    kind: "duration",
    fallback: "2m",
    help: "how long start-up waits for NATS and JetStream to be ready before giving up",
  },
  {
    key: "data_dir",
    field: "dataDir",
    kind: "string",
    fallback: "./data",
    help: "data folder of the embedded nats-server",
  },
  {
    key: "embedded_nats_port",
    field: "embeddedNatsPort",
    kind: "port",
    fallback: "4222",
    help: "client port of the embedded nats-server (0: any)",
  },
  {
    key: "nats_server_bin",
    field: "natsServerBin",
    kind: "string",
    fallback: "nats-server",
    help: "nats-server executable for the embedded mode",
  },
  {
    key: "monitor_port",
    field: "monitorPort",
    kind: "port",
    fallback: "8222",
    help: "HTTP monitoring port (0: any)",
  },
  {
    key: "ready_grace",
    field: "readyGraceMs",
    kind: "duration",
    fallback: "20s",
    help: "/readyz stays ready this long after JetStream last answered (rides out elections)",
  },
  {
    key: "drain_notice",
    field: "drainNoticeMs",
    kind: "duration",
    fallback: "3s",
    help: "on drain, /readyz fails this long before the listeners close (the balancer notices)",
  },
  {
    key: "drain_rate",
    field: "drainRate",
    kind: "count",
    fallback: "500",
    help: "on drain, clients disconnected per second",
  },
  {
    key: "drain_timeout",
    field: "drainTimeoutMs",
    kind: "duration",
    fallback: "60s",
    help: "a drain (SIGTERM, SIGUSR2, POST /drain) ends by then, clients left or not",
  },
  {
    key: "will_grace",
    field: "willGraceMs",
    kind: "duration",
    fallback: "30s",
    help: "a drained client's will is published only if it has not connected again by then",
  },
  {
    key: "proxy_protocol",
    field: "proxyProtocol",
    kind: "bool",
    fallback: "false",
    help: "TCP and TLS listeners expect a PROXY protocol v1/v2 header from proxy_trusted",
  },
  {
    key: "proxy_trusted",
    field: "proxyTrusted",
    kind: "addresses",
    fallback: "",
    help: "addresses and networks (CIDR, comma-separated) of trusted load balancers and proxies",
  },
  {
    key: "max_packet_size",
    field: "maxPacketSize",
    kind: "size",
    fallback: "1MiB",
    help: "largest MQTT packet accepted, in bytes (suffixes KiB, MiB)",
  },
  {
    key: "mqtt5",
    field: "mqtt5",
    kind: "bool",
    fallback: "true",
    help: "accept MQTT 5 clients (false: refused with CONNACK 0x01, as by a 3.1.1 server)",
  },
  {
    key: "max_session_expiry",
    field: "maxSessionExpiry",
    kind: "limit",
    fallback: "0",
    help:
      "seconds a disconnected session is kept at most (MQTT 5 Session Expiry Interval; 3.1.1 clean=0 asks for ever); 0: no limit",
  },
  {
    key: "server_reference",
    field: "serverReference",
    kind: "text",
    fallback: "",
    help:
      "where a drain sends MQTT 5 clients (DISCONNECT 0x9C with this Server Reference); empty: 0x8B, no reference",
  },
  {
    key: "max_keepalive",
    field: "maxKeepalive",
    kind: "limit",
    fallback: "0",
    help:
      "longest keepalive, seconds, for MQTT 5 clients (told in CONNACK as Server Keep Alive; 0: the client's own)",
  },
  {
    key: "topic_alias_maximum",
    field: "topicAliasMaximum",
    kind: "limit",
    fallback: "64",
    help: "topic aliases an MQTT 5 client may set per connection (0: none)",
  },
  {
    key: "max_pending_bytes",
    field: "maxPendingBytes",
    kind: "size",
    fallback: "1MiB",
    help: "outbound bytes buffered per client before QoS 0 messages are dropped",
  },
  {
    key: "connect_timeout",
    field: "connectTimeoutMs",
    kind: "duration",
    fallback: "10s",
    help: "time a new connection has to send CONNECT",
  },
  {
    key: "stream_replicas",
    field: "streamReplicas",
    kind: "replicas",
    fallback: "auto",
    help: "replicas of jetmq's streams and buckets (auto: min(cluster size, 3))",
  },
  {
    key: "js_api_timeout",
    field: "jsApiTimeoutMs",
    kind: "duration",
    fallback: "5s",
    help: "timeout of JetStream API calls",
  },
  {
    key: "store_retry",
    field: "storeRetryMs",
    kind: "duration",
    fallback: "30s",
    help:
      "a QoS 1/2 or retained store is retried this long (elections) before its client is closed",
  },
  {
    key: "ack_wait",
    field: "ackWaitMs",
    kind: "duration",
    fallback: "30s",
    help: "time a QoS 1 delivery waits for PUBACK before it is sent again with DUP",
  },
  {
    key: "max_ack_pending",
    field: "maxAckPending",
    kind: "count",
    fallback: "1024",
    help: "unacknowledged QoS 1 messages per subscription (a session's sum at most 65535)",
  },
  {
    key: "lease_ttl",
    field: "leaseTtlMs",
    kind: "duration",
    fallback: "15s",
    help: "an instance silent this long is dead and another publishes its clients' wills " +
      "(only judged while the judge's own renewals work: elections cause no wills)",
  },
  {
    key: "reject_qos2_publish",
    field: "rejectQos2Publish",
    kind: "bool",
    fallback: "false",
    help: "close clients that PUBLISH at QoS 2, as nats-server 2.9 does",
  },
  {
    key: "downgrade_qos2_subscriptions",
    field: "downgradeQos2Subscriptions",
    kind: "bool",
    fallback: "false",
    help: "grant QoS 1 to QoS 2 subscriptions, as nats-server 2.9 does",
  },
  {
    key: "users_file",
    field: "usersFile",
    kind: "path",
    fallback: "",
    help: "JSON file of users, tokens and permissions (re-read on SIGHUP)",
  },
  {
    key: "max_connections",
    field: "maxConnections",
    kind: "limit",
    fallback: "0",
    help: "connections per instance at most (0: no limit)",
  },
  {
    key: "max_client_id_length",
    field: "maxClientIdLength",
    kind: "limit",
    fallback: "256",
    help: "longest client id accepted, in bytes",
  },
  {
    key: "connect_rate",
    field: "connectRate",
    kind: "limit",
    fallback: "0",
    help: "CONNECTs per second per remote address (0: no limit)",
  },
  {
    key: "auth_failures",
    field: "authFailures",
    kind: "limit",
    fallback: "10",
    help: "failed logins per address in 10 s before it is refused for the rest of them",
  },
  {
    key: "log_level",
    field: "logLevel",
    kind: "level",
    fallback: "info",
    help: `log level (${LOG_LEVELS.join(", ")})`,
  },
] as const satisfies readonly OptionSpec[];

/** Validated, frozen configuration: one field per option, of its kind's type. */
export type Config = {
  readonly [O in (typeof OPTIONS)[number] as O["field"]]: KindTypes[O["kind"]];
};
