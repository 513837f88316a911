import { Empty, headers } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "../log.ts";
import { describeError } from "../errors.ts";

/**
 * Erasing KV keys without leaving their markers behind. A KV delete or purge writes a marker
 * message that stays for as long as the stream does: one per key ever used — per client id,
 * per (session, packet id), per instance — so a fleet of short-lived random client ids grows
 * the buckets without bound. Here the key is purged (fenced by compare-and-set when asked),
 * and then its marker too, by a stream purge bounded to that subject and to sequences up to the
 * marker's: a newer write of the key, made in between, stays.
 */
export class KvEraser {
  constructor(
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly log: Logger,
  ) {}

  /**
   * Purges `key` of `bucket` (only if its last revision is `previousSeq`, when given), and its
   * marker after it. Resolves once the key is gone; the marker's removal follows on its own.
   */
  async erase(bucket: string, key: string, previousSeq?: number): Promise<void> {
    const subject = `$KV.${bucket}.${key}`;
    const h = headers();
    h.set("KV-Operation", "PURGE");
    h.set("Nats-Rollup", "sub");
    const ack = await this.js.publish(subject, Empty, {
      headers: h,
      ...(previousSeq === undefined ? {} : { expect: { lastSubjectSequence: previousSeq } }),
    });
    this.jsm.streams.purge(`KV_${bucket}`, { filter: subject, seq: ack.seq + 1 }).catch((err) =>
      this.log.warn("store.marker_left", { bucket, key, ...describeError(err) })
    );
  }
}
