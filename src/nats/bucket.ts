import type { KV } from "@nats-io/kv";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KvEraser } from "./kv_erase.ts";
import { kvOperation, walkSubject } from "./stream_walk.ts";
import { StoreConflictError } from "../errors.ts";

/** The key has moved past the revision a fenced write expected. */
export class RevisionConflict extends StoreConflictError {
  constructor(bucket: string, key: string, revision: number) {
    super(`Key "${key}" of bucket "${bucket}" is no longer at revision ${revision}`, {
      subject: `$KV.${bucket}.${key}`,
    });
  }
}

/**
 * A KV bucket as jetmq uses it: the library's KV, plus erasing keys without leaving markers
 * and finding keys by prefix without a consumer.
 */
export class Bucket {
  constructor(
    readonly kv: KV,
    readonly name: string,
    readonly eraser: KvEraser,
    readonly jsm: JetStreamManager,
    /** Someone follows the bucket with a watcher: a removal must show as a marker first. */
    readonly watched = false,
  ) {}

  /**
   * Removes `key` (if its revision is still `previousSeq`, when given, else throws a conflict),
   * marker included. In a bucket nobody watches that is one stream purge of the key's subject
   * up to that revision — the compare-and-set itself: with one message kept per key, a newer
   * revision has already dropped that one, and nothing is purged.
   */
  async erase(key: string, previousSeq?: number): Promise<void> {
    if (this.watched) return await this.eraser.erase(this.name, key, previousSeq);
    const filter = `$KV.${this.name}.${key}`;
    if (previousSeq === undefined) {
      await this.jsm.streams.purge(`KV_${this.name}`, { filter });
      return;
    }
    const { purged } = await this.jsm.streams.purge(`KV_${this.name}`, {
      filter,
      seq: previousSeq + 1,
    });
    if (purged === 0) throw new RevisionConflict(this.name, key, previousSeq);
  }

  /** The live entries whose key is `prefix.<one token>`, in the order they were written. */
  async *entries(prefix: string): AsyncGenerator<{ key: string; value: Uint8Array }> {
    const subjectPrefix = `$KV.${this.name}.`;
    for await (const m of walkSubject(this.jsm, `KV_${this.name}`, `${subjectPrefix}${prefix}.*`)) {
      if (kvOperation(m) === "PUT") {
        yield { key: m.subject.slice(subjectPrefix.length), value: m.data };
      }
    }
  }
}
