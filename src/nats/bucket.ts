import type { KV } from "@nats-io/kv";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KvEraser } from "./kv_erase.ts";
import { kvOperation, walkSubject } from "./stream_walk.ts";

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
  ) {}

  /** Removes `key` (if its revision is still `previousSeq`, when given), marker included. */
  erase(key: string, previousSeq?: number): Promise<void> {
    return this.eraser.erase(this.name, key, previousSeq);
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
