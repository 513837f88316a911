import type { OptionSpec } from "./spec.ts";

/** How jetmq reaches NATS, or runs its own nats-server. */
export const NATS_OPTIONS = [
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
] as const satisfies readonly OptionSpec[];
