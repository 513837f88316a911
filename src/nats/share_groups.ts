import type { JetStreamManager } from "@nats-io/jetstream";
import { type ConsumerLimits, deleteDurable, ensureDurable } from "./durables.ts";
import { type Bucket, isConflict } from "./bucket.ts";
import {
  shareConsumerName,
  shareDeliverSubject,
  shareGroupKey,
  shareIndexKey,
  shareIndexPrefix,
  shareQueue,
} from "./names.ts";
import { type RetryOptions, withRetry } from "./retry.ts";

/** A shared subscription's group as kept in JetStream. */
export interface ShareGroupRecord {
  /** `$share/{ShareName}/{filter}`. */
  readonly shared: string;
  readonly subjects: readonly string[];
  /**
   * Session key → the connection holding it (connectionOwner: `<instance>/<connection>`) for members whose
   * session ends with their connection (a survivor removes them if that instance dies); "" for
   * persistent sessions, which leave with their session.
   */
  readonly members: Readonly<Record<string, string>>;
}

const instanceOf = (owner: string): string => owner.slice(0, owner.indexOf("/"));

const MAX_ATTEMPTS = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Shared subscriptions' groups: who belongs to each (KV, compare-and-set) and the durable
 * consumers that hold each group's QoS 1/2 messages until one member takes them. A group's
 * consumers exist from its first member's SUBSCRIBE until its last member leaves, so its
 * messages queue while every member is away.
 */
export class ShareGroups {
  constructor(
    readonly bucket: Bucket,
    readonly jsm: JetStreamManager,
    readonly limits: ConsumerLimits,
    readonly retry: RetryOptions,
  ) {}

  /**
   * Adds session `key` to the group: `owner` is the connection holding it when its session ends
   * with that connection (connectionOwner), null when the session is persistent.
   */
  join(
    shared: string,
    subjects: readonly string[],
    key: string,
    owner: string | null,
  ): Promise<void> {
    return this.#serial(shared, async () => {
      // The index first: whenever the group lists a member of this instance, it is indexed.
      if (owner) {
        const index = shareIndexKey(instanceOf(owner), shared);
        await withRetry(
          "share index",
          () => this.bucket.put(index, encoder.encode(shared)),
          this.retry,
        );
      }
      // Its consumers are made (if missing) once the group lists the member.
      await this.#change(shared, subjects, (members) => ({ ...members, [key]: owner ?? "" }));
    });
  }

  /**
   * Removes session `key` from the group — with `owner`, only while that connection is the one
   * listed (a newer connection of the same client id may have joined since). The last member
   * out removes the group's consumers, and the last of this instance its index entry.
   */
  leave(shared: string, key: string, owner: string | null): Promise<void> {
    return this.#serial(shared, async () => {
      const left = await this.#change(shared, null, (members) => {
        if (owner !== null && members[key] !== owner) return null; // another connection's now
        const rest = { ...members };
        delete rest[key];
        return rest;
      });
      const instance = owner === null ? null : instanceOf(owner);
      if (instance !== null && !Object.values(left).some((o) => instanceOf(o) === instance)) {
        await withRetry(
          "share index",
          () => this.bucket.erase(shareIndexKey(instance, shared)),
          this.retry,
        );
      }
    });
  }

  /**
   * This instance's joins and leaves of one group, one at a time: a leave that finds no member
   * of this instance left may then drop the instance's index entry without racing a join.
   */
  #serial(shared: string, work: () => Promise<void>): Promise<void> {
    const before = this.#chains.get(shared) ?? Promise.resolve();
    const next = before.then(work, work);
    const settled = next.catch(() => {});
    this.#chains.set(shared, settled);
    void settled.then(() => {
      if (this.#chains.get(shared) === settled) this.#chains.delete(shared);
    });
    return next;
  }

  #chains = new Map<string, Promise<void>>();

  /**
   * An instance died: its members whose session ended with it leave their groups. Returns how
   * many groups it had members in.
   */
  async instanceLost(instance: string): Promise<number> {
    let groups = 0;
    for await (const e of this.bucket.entries(shareIndexPrefix(instance))) {
      const shared = decoder.decode(e.value);
      await this.#change(shared, null, (members) => {
        const rest: Record<string, string> = {};
        for (const [k, o] of Object.entries(members)) {
          if (!o || instanceOf(o) !== instance) rest[k] = o;
        }
        return rest;
      });
      await this.bucket.erase(e.key);
      groups++;
    }
    return groups;
  }

  /** The group's record, or null when it has no member. */
  async get(shared: string): Promise<ShareGroupRecord | null> {
    const e = await this.bucket.get(shareGroupKey(shared));
    return e && e.value.length > 0 ? JSON.parse(decoder.decode(e.value)) as ShareGroupRecord : null;
  }

  /**
   * Compare-and-set of the members. The group's consumers exist whenever it has members: a
   * join writes itself down before it makes them; the last leave removes them before it erases
   * the group, and makes them again if a join got in between (its compare-and-set then fails).
   */
  async #change(
    shared: string,
    subjects: readonly string[] | null,
    /** The new members, or null when nothing changes (no write then). */
    change: (members: Readonly<Record<string, string>>) => Record<string, string> | null,
  ): Promise<Readonly<Record<string, string>>> {
    const k = shareGroupKey(shared);
    let removed = false;
    for (let attempt = 1;; attempt++) {
      const e = await withRetry("share group read", () => this.bucket.get(k), this.retry);
      const before = e && e.value.length > 0
        ? JSON.parse(decoder.decode(e.value)) as ShareGroupRecord
        : null;
      if (!before && !subjects) return {}; // gone already
      const members = change(before?.members ?? {});
      if (members === null) return before?.members ?? {};
      const record: ShareGroupRecord = {
        shared,
        subjects: before?.subjects ?? subjects ?? [],
        members,
      };
      const empty = Object.keys(members).length === 0;
      try {
        if (empty) {
          if (!before || !e) return members;
          for (const s of record.subjects) await this.#removeConsumer(shared, s);
          removed = true;
          await this.bucket.erase(k, e.revision);
          return members;
        }
        const value = encoder.encode(JSON.stringify(record));
        if (e) await this.bucket.update(k, value, e.revision);
        else await this.bucket.create(k, value);
        if (subjects || removed) {
          for (const s of record.subjects) await this.#ensureConsumer(shared, s);
        }
        return members;
      } catch (err) {
        if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  #ensureConsumer(shared: string, subject: string): Promise<void> {
    return ensureDurable(
      this.jsm,
      {
        name: shareConsumerName(shared, subject),
        deliverSubject: shareDeliverSubject(shared, subject),
        deliverGroup: shareQueue(shared),
        subject,
      },
      this.limits,
      this.retry,
    );
  }

  #removeConsumer(shared: string, subject: string): Promise<void> {
    return deleteDurable(this.jsm, shareConsumerName(shared, subject), this.retry);
  }
}
