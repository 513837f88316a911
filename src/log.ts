export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON line per event, with a dotted event name. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const stdoutSink: LogSink = (line) => {
  process.stdout.write(line);
};

export function createLogger(
  level: LogLevel,
  sink: LogSink = stdoutSink,
  base: LogFields = {},
): Logger {
  const threshold = rank[level];
  const emit = (lvl: LogLevel, event: string, fields?: LogFields): void => {
    if (rank[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, event, ...base, ...fields };
    sink(JSON.stringify(record, jsonSafe) + "\n");
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    enabled: (lvl) => rank[lvl] >= threshold,
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}

// BigInt and byte arrays would otherwise throw or print as huge objects.
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  return value;
}
