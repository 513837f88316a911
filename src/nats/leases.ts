import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/transport-node";
import { type Bucket, isConflict } from "./bucket.ts";
import { DELAYED_WILL_PREFIX, delayedWillKey, willKey } from "./names.ts";

const encoder = new TextEncoder();

/**
 * A lease as last seen: the server's time of its write, when this instance saw it, and the TTL
 * its instance renews it for (NaN from versions that did not say).
 */
interface Seen {
  readonly createdMs: number;
  readonly seenAt: number;
  readonly ttlMs: number;
}

/**
 * Which instances are alive, and which sessions with a will each one serves. An instance
 * renews its lease (a key in `jetmq_instances`) every few seconds; one whose lease is older
 * than the TTL is dead, and another instance publishes the wills it left behind. Every instance
 * follows the bucket with one long-lived watcher (no listing per beat), and ages leases by the
 * server's clock, as the server stamped them.
 */
export class Leases {
  #seen = new Map<string, Seen>();
  #watchers: Array<QueuedIterator<KvWatchEntry>> = [];

  readonly instances: KV;
  readonly wills: KV;

  constructor(readonly instanceBucket: Bucket, readonly willBucket: Bucket) {
    this.instances = instanceBucket.kv;
    this.wills = willBucket.kv;
  }

  /** Follows every lease from now on; the map holds the latest write of each instance. */
  async watch(): Promise<void> {
    const watcher = await this.instances.watch();
    this.#watchers.push(watcher);
    void (async () => {
      for await (const e of watcher) {
        if (e.operation === "PUT") {
          const ttlMs = Number(new TextDecoder().decode(e.value));
          this.#seen.set(e.key, { createdMs: e.created.getTime(), seenAt: Date.now(), ttlMs });
        } else this.#seen.delete(e.key);
      }
    })();
  }

  /**
   * Follows the wills waiting for a delay, those written before included: `onChange` hears a
   * session key with its due time, or null when it no longer waits.
   */
  async watchDelayed(onChange: (key: string, at: number | null) => void): Promise<void> {
    const watcher = await this.wills.watch({ key: `${DELAYED_WILL_PREFIX}.>` });
    this.#watchers.push(watcher);
    const prefix = DELAYED_WILL_PREFIX.length + 1;
    void (async () => {
      for await (const e of watcher) {
        const at = e.operation === "PUT" ? Number(new TextDecoder().decode(e.value)) : NaN;
        onChange(e.key.slice(prefix), Number.isFinite(at) ? at : null);
      }
    })();
  }

  stopWatching(): void {
    for (const w of this.#watchers) w.stop();
    this.#watchers = [];
  }

  /**
   * Renews this instance's lease for `ttlMs`; NATS stamps it with the server's clock. The TTL
   * is written into the lease: instances configured differently (a fleet mid-way through a
   * configuration change) judge each other by the TTL each renews for, not their own.
   */
  async renew(instanceId: string, ttlMs: number): Promise<void> {
    await this.instanceBucket.put(instanceId, encoder.encode(String(ttlMs)));
  }

  /**
   * Instances (other than `self`) whose lease is older than its TTL (or `ttlMs`, whichever is
   * longer) on the server's clock: the server time of `self`'s own latest renewal, moved on by
   * the time passed since it was seen.
   */
  expired(self: string, ttlMs: number): string[] {
    const own = this.#seen.get(self);
    if (!own) return [];
    const serverNow = own.createdMs + (Date.now() - own.seenAt);
    const out: string[] = [];
    for (const [id, lease] of this.#seen) {
      const ttl = Number.isFinite(lease.ttlMs) ? Math.max(lease.ttlMs, ttlMs) : ttlMs;
      if (id !== self && serverNow - lease.createdMs > ttl) out.push(id);
    }
    return out;
  }

  /** The dead instance's lease goes, once its wills are dealt with. */
  async forget(instanceId: string): Promise<void> {
    this.#seen.delete(instanceId);
    await this.instanceBucket.erase(instanceId);
  }

  /** `key` (a session with a will) is served by `instanceId`. */
  async hasWill(instanceId: string, key: string): Promise<void> {
    await this.willBucket.put(willKey(instanceId, key), encoder.encode("1"));
  }

  async willGone(instanceId: string, key: string): Promise<void> {
    await this.willBucket.erase(willKey(instanceId, key));
  }

  async delayWill(key: string, at: number): Promise<void> {
    await this.willBucket.put(delayedWillKey(key), encoder.encode(String(at)));
  }

  /**
   * Removes a session's timer; with `at`, only if that is still its time: a late timer must
   * not remove the one a later connection's end has set.
   */
  async delayedGone(key: string, at?: number): Promise<void> {
    if (at === undefined) return await this.willBucket.erase(delayedWillKey(key));
    const entry = await this.willBucket.get(delayedWillKey(key));
    if (!entry || new TextDecoder().decode(entry.value) !== String(at)) return;
    await this.willBucket.erase(delayedWillKey(key), entry.revision).catch((err) => {
      if (!isConflict(err)) throw err;
    });
  }

  /** Session keys with a will served by `instanceId` (listed only when an instance died). */
  async sessionsWithWill(instanceId: string): Promise<string[]> {
    const out: string[] = [];
    const prefix = `${instanceId}.`;
    for await (const e of this.willBucket.entries(instanceId)) out.push(e.key.slice(prefix.length));
    return out;
  }
}
