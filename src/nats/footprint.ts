import type { JetStreamManager } from "@nats-io/jetstream";
import { BUCKETS, MESSAGES_STREAM, RETAINED_STREAM } from "./names.ts";

/** What one of jetmq's streams or buckets holds on the NATS servers. */
export interface StreamFootprint {
  readonly messages: number;
  readonly bytes: number;
  /** Distinct subjects: for a bucket, its keys (live entries and markers). */
  readonly subjects: number;
  readonly consumers: number;
  readonly replicas: number;
}

const STREAMS = [MESSAGES_STREAM, RETAINED_STREAM];

/**
 * jetmq's own footprint in JetStream, for operators to watch it stay flat under churn: per
 * stream and bucket, messages, bytes, keys and consumers (the messages stream's consumers are
 * the persistent sessions' QoS 1/2 subscriptions). One stream-info request each.
 */
export async function footprint(jsm: JetStreamManager): Promise<Record<string, StreamFootprint>> {
  const out: Record<string, StreamFootprint> = {};
  const names = [...STREAMS, ...BUCKETS.map((b) => `KV_${b}`)];
  await Promise.all(names.map(async (name) => {
    const info = await jsm.streams.info(name);
    out[name] = {
      messages: info.state.messages,
      bytes: info.state.bytes,
      subjects: info.state.num_subjects ?? 0,
      consumers: info.state.consumer_count,
      replicas: info.config.num_replicas,
    };
  }));
  return out;
}
