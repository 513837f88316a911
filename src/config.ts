import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "./errors.ts";
import { LOG_LEVELS } from "./log.ts";
import { parseDuration, parseSize } from "./config_values.ts";
import { AddressList } from "./net/cidr.ts";
import { type Config, OPTIONS, type OptionSpec } from "./config_options.ts";

// Only this module reads env, flags and files.

export { type Config, OPTIONS };

export const envName = (key: string): string => `JETMQ_${key.toUpperCase()}`;
export const flagName = (key: string): string => `--${key.replaceAll("_", "-")}`;

export interface ConfigSources {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

export type CliRequest = { kind: "help" } | { kind: "run"; config: Config };

/** Reads flags, environment and an optional JSON config file; later sources win. */
export function loadConfig(sources: ConfigSources = {}): CliRequest {
  const argv = sources.argv ?? [];
  const env = sources.env ?? {};
  const flags = parseFlags(argv);
  if (flags === "help") return { kind: "help" };
  const file = flags.get("config") ?? env.JETMQ_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const raw: Record<string, string> = {};
  for (const opt of OPTIONS) {
    raw[opt.key] = flags.get(opt.key) ?? env[envName(opt.key)] ?? fromFile[opt.key] ??
      opt.fallback;
  }
  return { kind: "run", config: buildConfig(raw) };
}

/** Builds a config from option keys to raw strings; missing keys take their defaults. */
export function buildConfig(raw: Readonly<Record<string, string | number>>): Config {
  const out: Record<string, unknown> = {};
  for (const opt of OPTIONS) {
    out[opt.field] = parseValue(opt, String(raw[opt.key] ?? opt.fallback));
  }
  const config = out as Config;
  const tls = config.tlsCert !== null && config.tlsKey !== null;
  if ((config.tlsCert === null) !== (config.tlsKey === null)) {
    throw new ConfigError('Options "tls_cert" and "tls_key" go together: set both or neither', {
      option: config.tlsCert === null ? "tls_cert" : "tls_key",
    });
  }
  if (config.proxyProtocol && config.proxyTrusted.size === 0) {
    throw new ConfigError('Option "proxy_protocol" needs "proxy_trusted": whose headers to trust', {
      option: "proxy_trusted",
    });
  }
  if ((config.natsTlsCert === null) !== (config.natsTlsKey === null)) {
    throw new ConfigError('Options "nats_tls_cert" and "nats_tls_key" go together', {
      option: config.natsTlsCert === null ? "nats_tls_cert" : "nats_tls_key",
    });
  }
  for (
    const [option, on] of [["tls_only", config.tlsOnly], ["ws_tls", config.wsTls], [
      "tls_ca",
      config.tlsCa !== null,
    ]] as const
  ) {
    if (on && !tls) {
      throw new ConfigError(`Option "${option}" needs "tls_cert" and "tls_key"`, { option });
    }
  }
  return Object.freeze(config);
}

export function helpText(): string {
  const rows = OPTIONS.map((o) =>
    `  ${flagName(o.key).padEnd(22)} ${envName(o.key).padEnd(26)} ${
      (o.fallback || '""').padEnd(10)
    } ${o.help}`
  );
  return [
    "Usage: jetmq [--option value ...]",
    "",
    "Options (flag, environment variable, default, meaning). Flags win over the environment,",
    "which wins over the JSON file named by --config or JETMQ_CONFIG (keys as below, snake_case).",
    "",
    ...rows,
    `  ${"--config".padEnd(22)} ${"JETMQ_CONFIG".padEnd(26)} ${'""'.padEnd(10)} JSON config file`,
    `  ${"--help".padEnd(22)} ${"".padEnd(26)} ${"".padEnd(10)} this text`,
    "",
  ].join("\n");
}

function parseFlags(argv: readonly string[]): Map<string, string> | "help" {
  const known = new Set<string>([...OPTIONS.map((o) => o.key), "config"]);
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") return "help";
    if (!arg.startsWith("--")) {
      throw new ConfigError(`Unexpected argument "${arg}": options look like --port 1883`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq).replaceAll("-", "_");
    if (!known.has(name)) {
      throw new ConfigError(`Unknown option "${arg}": see --help`, { option: name });
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) {
      throw new ConfigError(`Option "${flagName(name)}" needs a value`, { option: name });
    }
    out.set(name, value);
  }
  return out;
}

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError(`Cannot read config file "${path}"`, { option: "config" }, { cause });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file "${path}" must hold a JSON object`, { option: "config" });
  }
  const known = new Set<string>(OPTIONS.map((o) => o.key));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) {
      throw new ConfigError(`Unknown option "${key}" in config file "${path}"`, { option: key });
    }
    out[key] = String(value);
  }
  return out;
}

function parseValue(opt: OptionSpec, value: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(
      `Invalid value "${value}" for option "${opt.key}" (${
        envName(opt.key)
      }): expected ${expected}`,
      { option: opt.key },
    );
  };
  switch (opt.kind) {
    case "string":
      return value.length > 0 ? value : fail("a non-empty string");
    case "text":
      return value === "" ? null : value;
    case "url":
      if (value === "") return null;
      return value.split(",").every((u) =>
          /^(nats|tls|wss?):\/\/[^\s,]+$|^[\w.-]+:\d+$/.test(u.trim())
        )
        ? value
        : fail("NATS URLs such as nats://127.0.0.1:4222, comma-separated");
    case "addresses": {
      const list = AddressList.parse(value);
      return typeof list === "string" ? fail(`addresses or CIDR networks, not "${list}"`) : list;
    }
    case "port": {
      const n = Number(value);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fail("a port from 0 to 65535");
    }
    case "size":
      return parseSize(value) ?? fail("a size in bytes such as 1048576, 512KiB or 1MiB");
    case "optionalSize":
      if (value === "0" || value === "off") return 0;
      return parseSize(value) ?? fail("a size in bytes such as 64MiB, or 0 (off)");
    case "duration":
      return parseDuration(value) ?? fail("a duration such as 500ms, 10s or 2m");
    case "level":
      return (LOG_LEVELS as readonly string[]).includes(value)
        ? value
        : fail(`one of ${LOG_LEVELS.join(", ")}`);
    case "path":
      if (value === "") return null;
      return existsSync(value) ? value : fail("a file that exists");
    case "limit": {
      const n = Number(value);
      return Number.isInteger(n) && n >= 0 ? n : fail("a whole number, 0 or more");
    }
    case "bool":
      return value === "true" || value === "1"
        ? true
        : value === "false" || value === "0"
        ? false
        : fail("true or false");
    case "count": {
      const n = Number(value);
      return Number.isInteger(n) && n >= 1 && n <= 65535
        ? n
        : fail("a whole number from 1 to 65535");
    }
    case "replicas": {
      if (value === "auto") return "auto";
      const n = Number(value);
      return Number.isInteger(n) && n >= 1 && n <= 5 ? n : fail('"auto" or 1 to 5');
    }
  }
}
