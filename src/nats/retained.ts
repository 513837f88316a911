import { nanos } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { RETAINED_STREAM, retainedSubject } from "./names.ts";
import type { RetainedCache } from "./retained_cache.ts";
import type { JsApi } from "./js_api.ts";
import { headersOfBlock } from "./raw_headers.ts";
import { type RetainedMessage, toRetained } from "./retained_message.ts";

export type { RetainedMessage };

const BATCH = 256;

/**
 * Lookups of retained messages in the `jetmq_retained` stream, one per subject
 * (max_msgs_per_subject 1; `Bus.retain` writes them). An empty payload is kept as the topic's
 * tombstone: lookups skip it, and it keeps the order of a set followed by a delete made on
 * another instance.
 */
export class RetainedStore {
  constructor(
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly api: JsApi,
    /** This instance's bounded copy, for wildcards (see RetainedCache); null: the stream only. */
    readonly cache: RetainedCache | null = null,
  ) {}

  /**
   * Hands every retained message matching the NATS subject `pattern` to `each`, in batches:
   * before each next batch it awaits `ready()`, so a slow client slows the lookup down instead
   * of filling memory. A topic is one direct get; a wildcard is answered by the cache when it
   * can, else by an ephemeral consumer on the stream.
   */
  async lookup(
    pattern: string,
    each: (m: RetainedMessage) => void,
    ready: () => Promise<void>,
  ): Promise<void> {
    if (!pattern.includes("*") && !pattern.includes(">")) {
      // Through jetmq's own requests: the library's makes an Error for every topic without one.
      const m = await this.api.message(RETAINED_STREAM, { last_by_subj: retainedSubject(pattern) });
      if (m && m.data.length > 0) each(toRetained(m.subject, m.data, headersOfBlock(m.headers)));
      return;
    }
    const cached = await this.cache?.match(pattern) ?? null;
    if (cached) {
      for (let i = 0; i < cached.length; i++) {
        if (i % BATCH === 0) await ready();
        each(cached[i] as RetainedMessage);
      }
      return;
    }
    const info = await this.jsm.consumers.add(RETAINED_STREAM, {
      filter_subject: retainedSubject(pattern),
      deliver_policy: DeliverPolicy.LastPerSubject,
      ack_policy: AckPolicy.None,
      inactive_threshold: nanos(30_000),
      mem_storage: true,
      num_replicas: 1,
    });
    try {
      let left = info.num_pending;
      const consumer = await this.js.consumers.get(RETAINED_STREAM, info.name);
      while (left > 0) {
        await ready();
        const batch = await consumer.fetch({ max_messages: Math.min(BATCH, left), expires: 5000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          if (m.data.length > 0) each(toRetained(m.subject, m.data, m.headers));
        }
        if (got === 0) break; // nothing came within `expires`: the rest went away meanwhile
        left -= got;
      }
    } finally {
      await this.jsm.consumers.delete(RETAINED_STREAM, info.name).catch(() => false);
    }
  }
}
