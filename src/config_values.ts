// Parsers for the value syntaxes of config options; failures are undefined, and config.ts
// turns them into a ConfigError that names the option.

const sizeUnits: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  k: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
};

/** "1MiB" → 1048576; undefined when not a positive size. */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? sizeUnits[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "10s" → 10000 (milliseconds); a bare number is seconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (durationUnits[m[2] ?? "s"] ?? 1000);
  return ms > 0 ? Math.round(ms) : undefined;
}
