/** Whether a login may be checked now, or should wait: a CONNECT waits instead of being refused. */
export interface Throttled {
  readonly ms: number;
  readonly reason: string;
}

interface Failures {
  count: number;
  since: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** How long a successful login keeps its (address, user) out of the address-wide throttle. */
const KNOWN_GOOD_MS = 10 * 60_000;
/** An address with this many times `maxFailures` (many user names) is throttled as a whole. */
const ADDRESS_FACTOR = 10;
/** Maps are swept of quiet entries once they hold this many. */
const SWEEP_AT = 10_000;

/**
 * Slows password guessing without locking anybody out. Behind a load balancer without PROXY
 * protocol every client has the balancer's address, so nothing here may refuse a client whose
 * credentials are right because others failed:
 *
 * - failures count per (address, user name): past `maxFailures` within the window, that pair's
 *   password checks run at most once a second, and its CONNECTs wait for their turn (a right
 *   password then gets in, a guesser gets one guess a second);
 * - failures also count per address: past ten times `maxFailures` (someone trying many user
 *   names), checks from that address run at most `maxFailures` a second, except for pairs that
 *   logged in successfully within ten minutes, which go straight through.
 *
 * Waiting costs no CPU (the connection is held, its CONNECT handled again later), so a flood
 * costs the flooder its connections and the server little. `connect_rate` (off by default) is
 * separate: a per-address budget of CONNECTs, over which connections are closed.
 */
export class LoginThrottle {
  #byPair = new Map<string, Failures>();
  #byAddress = new Map<string, Failures>();
  #pairTurns = new Map<string, Bucket>();
  #addressTurns = new Map<string, Bucket>();
  #knownGood = new Map<string, number>();
  #rate = new Map<string, Bucket>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    readonly connectRate: number,
  ) {}

  /** Why a CONNECT from `address` is over `connect_rate` and closed, or null. */
  overRate(address: string, now: number): string | null {
    if (this.connectRate <= 0) return null;
    const b = refill(this.#rate, address, 2 * this.connectRate, this.connectRate, now);
    if (b.tokens < 1) return `More than ${this.connectRate} CONNECTs a second from ${address}`;
    b.tokens -= 1;
    this.#sweep(now);
    return null;
  }

  /** Null when the credentials of `user` from `address` may be checked now, else the wait. */
  throttled(address: string, user: string | undefined, now: number): Throttled | null {
    const pair = pairKey(address, user);
    if (this.#suspect(this.#byPair, pair, this.maxFailures, now)) {
      const wait = take(this.#pairTurns, pair, 1, 1, now);
      if (wait > 0) {
        return {
          ms: wait,
          reason: `Failed logins for "${user ?? ""}" from ${address}: one check a second`,
        };
      }
      return null;
    }
    const good = this.#knownGood.get(pair);
    if (good !== undefined && now - good < KNOWN_GOOD_MS) return null;
    if (this.#suspect(this.#byAddress, address, ADDRESS_FACTOR * this.maxFailures, now)) {
      const wait = take(this.#addressTurns, address, this.maxFailures, this.maxFailures, now);
      if (wait > 0) {
        return {
          ms: wait,
          reason: `Failed logins from ${address}: ${this.maxFailures} checks a second`,
        };
      }
    }
    return null;
  }

  failed(address: string, user: string | undefined, now: number): void {
    count(this.#byPair, pairKey(address, user), this.windowMs, now);
    count(this.#byAddress, address, this.windowMs, now);
    this.#sweep(now);
  }

  succeeded(address: string, user: string | undefined, now: number): void {
    const pair = pairKey(address, user);
    this.#byPair.delete(pair);
    this.#knownGood.set(pair, now);
    this.#sweep(now);
  }

  #suspect(map: Map<string, Failures>, key: string, max: number, now: number): boolean {
    const f = map.get(key);
    if (!f) return false;
    if (now - f.since > this.windowMs) {
      map.delete(key);
      return false;
    }
    return max > 0 && f.count >= max;
  }

  // Forget quiet entries now and then, so the maps stay as small as the busy set.
  #sweep(now: number): void {
    const stale = (map: Map<string, { at?: number; since?: number } | number>, age: number) => {
      if (map.size < SWEEP_AT) return;
      for (const [k, v] of map) {
        const at = typeof v === "number" ? v : v.at ?? v.since ?? 0;
        if (now - at > age) map.delete(k);
      }
    };
    stale(this.#byPair, this.windowMs);
    stale(this.#byAddress, this.windowMs);
    stale(this.#pairTurns, this.windowMs);
    stale(this.#addressTurns, this.windowMs);
    stale(this.#rate, 10_000);
    stale(this.#knownGood, KNOWN_GOOD_MS);
  }
}

const pairKey = (address: string, user: string | undefined) => `${address}\u0000${user ?? ""}`;

function count(map: Map<string, Failures>, key: string, windowMs: number, now: number): void {
  const f = map.get(key);
  if (!f || now - f.since > windowMs) map.set(key, { count: 1, since: now });
  else f.count++;
}

function refill(
  map: Map<string, Bucket>,
  key: string,
  capacity: number,
  perSecond: number,
  now: number,
): Bucket {
  const b = map.get(key) ?? { tokens: capacity, at: now };
  b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * perSecond);
  b.at = now;
  map.set(key, b);
  return b;
}

/** Takes a turn from the bucket: 0 when one was free, else the milliseconds until one is. */
function take(
  map: Map<string, Bucket>,
  key: string,
  capacity: number,
  perSecond: number,
  now: number,
): number {
  const b = refill(map, key, capacity, perSecond, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.max(1, Math.ceil(((1 - b.tokens) / perSecond) * 1000));
}
