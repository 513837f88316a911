/**
 * Per-address limits on CONNECT, so a flood cannot starve good clients: an address that fails
 * authentication `maxFailures` times within `windowMs` is refused at once (no password check)
 * until the window has passed; and, when `ratePerSecond` > 0, an address may CONNECT at most
 * that often (bursts of twice that).
 */
export class ConnectGuard {
  #failures = new Map<string, { count: number; since: number }>();
  #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    readonly ratePerSecond: number,
  ) {}

  /** Null when `address` may try to CONNECT now, else why not. */
  refuse(address: string, now = Date.now()): string | null {
    const f = this.#failures.get(address);
    if (f && now - f.since > this.windowMs) this.#failures.delete(address);
    else if (f && f.count >= this.maxFailures) {
      return `${f.count} failed CONNECTs from ${address} within ${this.windowMs} ms`;
    }
    if (this.ratePerSecond <= 0) return null;
    const b = this.#buckets.get(address) ?? { tokens: 2 * this.ratePerSecond, at: now };
    b.tokens = Math.min(
      2 * this.ratePerSecond,
      b.tokens + ((now - b.at) / 1000) * this.ratePerSecond,
    );
    b.at = now;
    this.#buckets.set(address, b);
    if (b.tokens < 1) return `More than ${this.ratePerSecond} CONNECTs a second from ${address}`;
    b.tokens -= 1;
    this.#sweep(now);
    return null;
  }

  failed(address: string, now = Date.now()): void {
    const f = this.#failures.get(address);
    if (!f || now - f.since > this.windowMs) this.#failures.set(address, { count: 1, since: now });
    else f.count++;
  }

  // Forget quiet addresses now and then, so the maps stay as small as the busy set.
  #sweep(now: number): void {
    if (this.#buckets.size < 10_000) return;
    for (const [k, b] of this.#buckets) if (now - b.at > 10_000) this.#buckets.delete(k);
  }
}
