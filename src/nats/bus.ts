import { headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import type { QoS } from "./sessions.ts";
import { messageSubject } from "./names.ts";

/** The header nats-server's MQTT puts on MQTT-originated messages: the publish QoS. */
export const QOS_HEADER = "Nmqtt-Pub";

export type BusMessageHandler = (subject: string, payload: Uint8Array, qos: QoS | null) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

// Headers are immutable once built, so one instance per QoS serves every publish.
const qosHeaders: readonly MsgHdrs[] = [0, 1, 2].map((q) => {
  const h = headers();
  h.set(QOS_HEADER, String(q));
  return h;
});

/** Core NATS publish/subscribe and the message store, as handlers and delivery need them. */
export class Bus {
  constructor(readonly nc: NatsConnection, readonly js: JetStreamClient) {}

  /** Largest payload NATS accepts; MQTT payloads over it cannot be forwarded. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes an MQTT message to NATS subscribers, tagged with its QoS. */
  publish(subject: string, payload: Uint8Array, qos: QoS): void {
    this.nc.publish(subject, payload, { headers: qosHeaders[qos] });
  }

  /** Stores a QoS 1/2 message in the messages stream; resolves once JetStream has it. */
  async store(subject: string, payload: Uint8Array, qos: QoS): Promise<PubAck> {
    return await this.js.publish(messageSubject(subject), payload, { headers: qosHeaders[qos] });
  }

  /** Publishes an internal control message (no QoS header). */
  notify(subject: string, payload: Uint8Array): void {
    this.nc.publish(subject, payload);
  }

  subscribe(subject: string, onMessage: BusMessageHandler): BusSubscription {
    return this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const q = msg.headers?.get(QOS_HEADER);
        onMessage(
          msg.subject,
          msg.data,
          q === "0" || q === "1" || q === "2" ? (Number(q) as QoS) : null,
        );
      },
    });
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }
}
