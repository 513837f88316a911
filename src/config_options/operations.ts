import type { OptionSpec } from "./spec.ts";

/** Running behind a balancer: monitoring, readiness, drains, PROXY protocol. */
export const OPERATION_OPTIONS = [
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
] as const satisfies readonly OptionSpec[];
