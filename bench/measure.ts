/** What a scenario reports: named numbers, and which way is better for each. */
export type Metrics = Record<string, number>;

export interface Scenario {
  readonly name: string;
  /** Metric name → "higher" or "lower" is better; the order is the table's. */
  readonly metrics: Readonly<Record<string, "higher" | "lower">>;
  /**
   * Runs on a broker started for it alone. Memory per connection is measured as the growth of
   * the broker's RSS, and a broker that ran the other scenarios first may still be giving their
   * memory back meanwhile (nats-server's MQTT came out at -13,869 B per client after them).
   */
  readonly fresh?: boolean;
  run(port: number, pid: number): Promise<Metrics | null>;
}

/**
 * Waits until `count()` reaches `target`, or stops growing for `idleMs` (10 s before it first
 * grows: a broker may take its time to start delivering), or `maxMs` passes. Returns when the
 * last growth was seen (performance.now()).
 */
export async function settle(
  count: () => number,
  target: number,
  { idleMs = 1000, maxMs = 30_000 } = {},
): Promise<number> {
  const start = performance.now();
  let last = count();
  let lastAt = performance.now();
  let grew = false;
  while (count() < target) {
    await Bun.sleep(5);
    const now = performance.now();
    const c = count();
    if (c !== last) {
      last = c;
      lastAt = now;
      grew = true;
    } else if (now - lastAt > (grew ? idleMs : 10_000) || now - start > maxMs) break;
  }
  return lastAt;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function median(values: readonly number[]): number {
  const s = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A unique topic prefix per run, so runs never see each other's messages. */
export const runId = (): string => crypto.randomUUID().slice(0, 8);
