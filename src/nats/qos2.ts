import type { HeldMessage, Release } from "../mqtt/session.ts";
import type { Logger } from "../log.ts";
import { type Bucket, RevisionConflict } from "./bucket.ts";
import { qos2Key } from "./names.ts";
import { withRetry } from "./retry.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The two halves of QoS 2 state that must outlive a connection and an instance, in KV:
 * inbound messages between PUBLISH and PUBREL, outbound deliveries between PUBREC and PUBCOMP.
 * Writes ride out a NATS election (tried again for `retry.forMs`); each is safe to repeat.
 */
export class Qos2Store {
  constructor(
    readonly inBucket: Bucket,
    readonly outBucket: Bucket,
    readonly retry: { readonly forMs: number; readonly log: Logger },
  ) {}

  #again<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    return withRetry(what, attempt, this.retry);
  }

  /**
   * Keeps the message under (session, packet id) if nothing is there yet; a duplicate PUBLISH
   * finds it and changes nothing [MQTT-4.3.3-2]. True when it was new.
   */
  async hold(key: string, packetId: number, message: HeldMessage): Promise<boolean> {
    try {
      const value = encoder.encode(JSON.stringify(message));
      await this.#again("QoS 2 hold", () => this.inBucket.create(qos2Key(key, packetId), value));
      return true;
    } catch (err) {
      if (err instanceof RevisionConflict) return false;
      throw err;
    }
  }

  /**
   * The held message, or null when there is none (already released), with the JetStream
   * message id of its release: (session, id, revision), so that a release retried after a crash
   * between the store and the forget is stored once.
   */
  async held(
    key: string,
    packetId: number,
  ): Promise<{ message: HeldMessage; msgId: string } | null> {
    const k = qos2Key(key, packetId);
    const e = await this.#again("QoS 2 held", () => this.inBucket.get(k));
    if (!e || e.value.length === 0) return null;
    return {
      message: JSON.parse(decoder.decode(e.value)) as HeldMessage,
      msgId: `${k}.${e.revision}`,
    };
  }

  async forget(key: string, packetId: number): Promise<void> {
    await this.#again("QoS 2 forget", () => this.inBucket.erase(qos2Key(key, packetId)));
  }

  /** The client has the delivery: from now on it only gets PUBREL for it [MQTT-4.3.3-1]. */
  async received(key: string, release: Release): Promise<void> {
    const value = encoder.encode(JSON.stringify(release));
    await this.#again(
      "QoS 2 PUBREC",
      () => this.outBucket.put(qos2Key(key, release.packetId), value),
    );
  }

  /** A shared subscription's QoS 2 message is this session's from now on (Release.publish). */
  async owned(key: string, release: Release): Promise<void> {
    const value = encoder.encode(JSON.stringify(release));
    await this.#again(
      "QoS 2 shared",
      () => this.outBucket.put(qos2Key(key, release.packetId), value),
    );
  }

  async completed(key: string, packetId: number): Promise<void> {
    await this.#again("QoS 2 PUBCOMP", () => this.outBucket.erase(qos2Key(key, packetId)));
  }

  /** Forgets all QoS 2 state of a session (a clean start) [MQTT-3.1.2-6]. */
  async discard(key: string): Promise<void> {
    for (const bucket of [this.inBucket, this.outBucket]) {
      for await (const e of bucket.entries(key)) await bucket.erase(e.key);
    }
  }

  /** The session's deliveries awaiting PUBCOMP, oldest first. */
  async pendingReleases(key: string): Promise<Release[]> {
    const out: Release[] = [];
    for await (const e of this.outBucket.entries(key)) {
      out.push(JSON.parse(decoder.decode(e.value)) as Release);
    }
    return out.sort((a, b) => a.at - b.at || a.streamSeq - b.streamSeq);
  }
}
