import type { KV } from "@nats-io/kv";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { qos2Key } from "./names.ts";

/** A QoS 2 message received from a client, kept until its PUBREL. */
export interface HeldMessage {
  subject: string;
  /** Base64. */
  payload: string;
  retain: boolean;
}

/** A QoS 2 delivery the client has received (PUBREC): only PUBREL may be sent for it now. */
export interface Release {
  readonly packetId: number;
  /** Stream sequence of the stored message; 0 for messages that never were. */
  readonly streamSeq: number;
  /** Milliseconds since the epoch of the PUBREC, for resending in order. */
  readonly at: number;
  /**
   * Where JetStream takes the acknowledgement of the stored message; absent for messages that
   * never were stored (and in records written before it was kept).
   */
  readonly ack?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The two halves of QoS 2 state that must outlive a connection and an instance, in KV:
 * inbound messages between PUBLISH and PUBREL, outbound deliveries between PUBREC and PUBCOMP.
 */
export class Qos2Store {
  constructor(readonly inbound: KV, readonly outbound: KV) {}

  /**
   * Keeps the message under (session, packet id) if nothing is there yet; a duplicate PUBLISH
   * finds it and changes nothing [MQTT-4.3.3-2]. True when it was new.
   */
  async hold(key: string, packetId: number, message: HeldMessage): Promise<boolean> {
    try {
      await this.inbound.create(qos2Key(key, packetId), encoder.encode(JSON.stringify(message)));
      return true;
    } catch (err) {
      if (
        err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence
      ) {
        return false;
      }
      throw err;
    }
  }

  /** The held message and its revision, or null when there is none (already released). */
  async held(
    key: string,
    packetId: number,
  ): Promise<{ message: HeldMessage; revision: number } | null> {
    const e = await this.inbound.get(qos2Key(key, packetId));
    if (!e || e.operation !== "PUT" || e.length === 0) return null;
    return { message: JSON.parse(decoder.decode(e.value)) as HeldMessage, revision: e.revision };
  }

  async forget(key: string, packetId: number): Promise<void> {
    await this.inbound.purge(qos2Key(key, packetId));
  }

  /** The client has the delivery: from now on it only gets PUBREL for it [MQTT-4.3.3-1]. */
  async received(key: string, release: Release): Promise<void> {
    await this.outbound.put(
      qos2Key(key, release.packetId),
      encoder.encode(JSON.stringify(release)),
    );
  }

  async completed(key: string, packetId: number): Promise<void> {
    await this.outbound.purge(qos2Key(key, packetId));
  }

  /** Forgets all QoS 2 state of a session (a clean start) [MQTT-3.1.2-6]. */
  async discard(key: string): Promise<void> {
    for (const kv of [this.inbound, this.outbound]) {
      for await (const k of await kv.keys(`${key}.*`)) await kv.purge(k);
    }
  }

  /** The session's deliveries awaiting PUBCOMP, oldest first. */
  async pendingReleases(key: string): Promise<Release[]> {
    const out: Release[] = [];
    for await (const k of await this.outbound.keys(`${key}.*`)) {
      const e = await this.outbound.get(k);
      if (e && e.operation === "PUT" && e.length > 0) {
        out.push(JSON.parse(decoder.decode(e.value)) as Release);
      }
    }
    return out.sort((a, b) => a.at - b.at || a.streamSeq - b.streamSeq);
  }
}
