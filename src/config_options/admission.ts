import { LOG_LEVELS } from "../log.ts";
import type { OptionSpec } from "./spec.ts";

/** Who gets in, how many, how fast; and the log. */
export const ADMISSION_OPTIONS = [
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
