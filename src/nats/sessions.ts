import { StoreConflictError } from "../errors.ts";
import type { ClaimResult, SessionRecord } from "../mqtt/session.ts";
import type { Logger } from "../log.ts";
import { type Bucket, type Entry, isConflict } from "./bucket.ts";
import { isNoAnswer } from "./js_api.ts";
import { sessionKey } from "./names.ts";
import { withRetry } from "./retry.ts";

const MAX_ATTEMPTS = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record as last written or read here, with its revision. */
interface Known {
  readonly revision: number;
  readonly record: SessionRecord;
}

/** Records remembered after their connection ended here: most clients come back to the same place. */
const RECENT_LIMIT = 10_000;

/**
 * Session records in the sessions KV bucket, every write a compare-and-set.
 *
 * Records of sessions served here are remembered with their revision, so that the writes of a
 * live connection (SUBSCRIBE, UNSUBSCRIBE, its end) need no read first: the compare-and-set
 * itself tells when the memory is stale (another instance wrote), and the write is retried
 * with a fresh read. A memory that says "not ours" is never believed without that read.
 *
 * The last few thousand records whose connection ended here are remembered too, as written:
 * a client that comes back to this instance (one instance, or a balancer that keeps a client
 * where it was) is claimed with one compare-and-set and no read.
 */
export class SessionStore {
  #known = new Map<string, Known>();
  /** Records nobody here serves, as last written here (encoded: a third of the memory). */
  #recent = new Map<string, Entry>();

  /**
   * `retry`: how long the writes that nobody would repeat (a connection's end, which may carry a
   * will) keep trying through a NATS outage or election. Without it they fail at once.
   */
  constructor(
    readonly bucket: Bucket,
    readonly retry?: { readonly forMs: number; readonly log: Logger },
  ) {}

  /** The key a client id's session is stored under. */
  keyOf(clientId: string): string {
    return sessionKey(clientId);
  }

  async get(key: string): Promise<SessionRecord | null> {
    return decode(await this.bucket.get(key));
  }

  /**
   * Writes the record `build` makes from the current one, whoever holds it now; when `build`
   * returns null nothing is written and the result is null. With `likelyNew` (a clean session,
   * often a random client id) the record is first created as if none existed: one round trip
   * instead of two, and the usual read-then-write when one did.
   */
  async claim(
    key: string,
    build: (previous: SessionRecord | null) => SessionRecord | null,
    likelyNew = false,
  ): Promise<ClaimResult | null> {
    if (likelyNew) {
      const record = build(null);
      if (!record) return null;
      try {
        const generation = await this.bucket.create(key, encode(record));
        this.#remember(key, generation, record);
        return { record, generation, previous: null };
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    return await this.#retry(key, async (attempt) => {
      // The remembered record, on the first attempt only: a conflict means it was stale.
      const entry = (attempt === 1 ? this.#recent.get(key) : undefined) ??
        await this.bucket.get(key);
      const previous = decode(entry);
      const record = build(previous);
      if (!record) return null;
      const generation = previous && entry
        ? await this.bucket.update(key, encode(record), entry.revision)
        : await this.bucket.create(key, encode(record));
      this.#remember(key, generation, record);
      return { record, generation, previous };
    });
  }

  /**
   * Changes the record if `connection` still owns it. Returns the record as it was, or null when
   * another connection has taken the session over: the caller's connection is stale.
   */
  async update(
    key: string,
    connection: string,
    change: (record: SessionRecord) => SessionRecord,
  ): Promise<SessionRecord | null> {
    return await this.take(key, (r) => r.owner?.connection === connection, change);
  }

  /** Deletes the record if `connection` still owns it; returns it as it was, or null. */
  async release(key: string, connection: string): Promise<SessionRecord | null> {
    return await this.take(key, (r) => r.owner?.connection === connection, () => null);
  }

  /**
   * Compare-and-set on the current record if `owns` says so: `change` gives the new record, or
   * null to delete it. Returns the record as it was, or null when it was not ours to change.
   * Whoever gets a non-null answer did it, exactly once (wills rely on that).
   */
  async take(
    key: string,
    owns: (record: SessionRecord) => boolean,
    change: (record: SessionRecord) => SessionRecord | null,
  ): Promise<SessionRecord | null> {
    // What the last attempt wrote when its answer was lost: it may have been carried out.
    let unanswered: { readonly wrote: Uint8Array | null; readonly was: SessionRecord } | null =
      null;
    const attempt = () =>
      this.#retry(key, async () => {
        let known = this.#known.get(key);
        if (known && !owns(known.record)) known = undefined;
        if (!known) {
          const entry = await this.bucket.get(key);
          if (unanswered && landed(entry, unanswered.wrote)) return unanswered.was;
          const record = decode(entry);
          if (!entry || !record || !owns(record)) return null;
          known = { revision: entry.revision, record };
        }
        const current = known.record;
        const next = change(current);
        this.#forget(key);
        const wrote = next ? encode(next) : null;
        try {
          if (next && wrote) {
            this.#remember(key, await this.bucket.update(key, wrote, known.revision), next, wrote);
          } else await this.bucket.erase(key, known.revision);
        } catch (err) {
          if (isNoAnswer(err)) unanswered = { wrote, was: current };
          throw err;
        }
        return current;
      });
    return this.retry ? await withRetry(`session ${key}`, attempt, this.retry) : await attempt();
  }

  /**
   * Kept while a connection of this instance owns the session; once it has none, among the
   * recent ones (as `bytes`, when the caller has them encoded already).
   */
  #remember(key: string, revision: number, record: SessionRecord, bytes?: Uint8Array): void {
    this.#forget(key);
    if (record.owner) return void this.#known.set(key, { revision, record });
    if (this.#recent.size >= RECENT_LIMIT) {
      this.#recent.delete(this.#recent.keys().next().value as string);
    }
    this.#recent.set(key, { key, revision, value: bytes ?? encode(record) });
  }

  #forget(key: string): void {
    this.#known.delete(key);
    this.#recent.delete(key);
  }

  async #retry<T>(key: string, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let i = 1;; i++) {
      try {
        return await attempt(i);
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (i >= MAX_ATTEMPTS) {
          throw new StoreConflictError(
            `Session record "${key}" changed under ${MAX_ATTEMPTS} compare-and-set attempts`,
            { subject: key },
            { cause: err },
          );
        }
      }
    }
  }
}

/** The entry is what an unanswered write left: the same bytes, or gone after an erase. */
function landed(entry: Entry | null, wrote: Uint8Array | null): boolean {
  if (!wrote) return !entry || entry.value.length === 0;
  return !!entry && Buffer.from(entry.value).equals(wrote);
}

function encode(record: SessionRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

function decode(entry: Entry | null): SessionRecord | null {
  if (!entry || entry.value.length === 0) return null;
  return JSON.parse(decoder.decode(entry.value)) as SessionRecord;
}
