import type { OptionSpec } from "./spec.ts";

/** Where jetmq listens: MQTT over TCP, TLS and WebSocket. */
export const LISTENER_OPTIONS = [
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
] as const satisfies readonly OptionSpec[];
