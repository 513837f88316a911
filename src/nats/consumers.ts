import type { NatsConnection } from "@nats-io/transport-node";
import { JetStreamApiCodes, type JetStreamManager } from "@nats-io/jetstream";
import { type ConsumerLimits, deleteDurable, ensureDurable } from "./durables.ts";
import type { RetryOptions } from "./retry.ts";
import { type JsApi, JsApiError } from "./js_api.ts";
import type { ShareGroups } from "./share_groups.ts";
import {
  ackSubject,
  consumerName,
  deliverSubject,
  MESSAGES_STREAM,
  messageSubject,
} from "./names.ts";

export type { ConsumerLimits };

/** What a resume needs of a consumer's info. */
interface ConsumerState {
  num_ack_pending: number;
  ack_floor: { stream_seq: number };
  delivered: { stream_seq: number; consumer_seq: number };
}

const NAK = new TextEncoder().encode("-NAK");

/**
 * The durable consumers that hold persistent sessions' QoS 1/2 messages in JetStream: one per
 * (session, NATS subject of a filter). They outlive connections and instances; whichever
 * instance serves the session listens on their deliver subjects.
 */
export class SessionConsumers {
  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly api: JsApi,
    readonly limits: ConsumerLimits,
    readonly shares: ShareGroups,
    readonly retry: RetryOptions,
  ) {}

  joinShare(
    shared: string,
    subjects: readonly string[],
    key: string,
    owner: string | null,
  ): Promise<void> {
    return this.shares.join(shared, subjects, key, owner);
  }

  leaveShare(shared: string, key: string, owner: string | null): Promise<void> {
    return this.shares.leave(shared, key, owner);
  }

  shareMembersLost(instance: string): Promise<number> {
    return this.shares.instanceLost(instance);
  }

  /** Creates the consumer if missing (its queue starts now), or updates its limits. */
  ensure(key: string, subject: string): Promise<void> {
    const name = consumerName(key, subject);
    return ensureDurable(
      this.jsm,
      {
        name,
        deliverSubject: deliverSubject(key, subject),
        subject,
      },
      this.limits,
      this.retry,
    );
  }

  /** Deletes the consumer and with it the messages only it was keeping. */
  remove(key: string, subject: string): Promise<void> {
    return deleteDurable(this.jsm, consumerName(key, subject), this.retry);
  }

  /**
   * Makes JetStream send every unacknowledged message of the consumer again now, in stream
   * order, instead of after ack_wait [MQTT-4.4.0-1]: a negative acknowledgement per pending
   * message. Returns how many were asked for; acknowledged ones among them are ignored by the
   * server.
   */
  async redeliverPending(key: string, subject: string): Promise<number> {
    const durable = consumerName(key, subject);
    let info: ConsumerState;
    try {
      info = await this.api.call<ConsumerState>(`CONSUMER.INFO.${MESSAGES_STREAM}.${durable}`);
    } catch (err) {
      if (err instanceof JsApiError && err.errCode === JetStreamApiCodes.ConsumerNotFound) {
        return 0;
      }
      throw err;
    }
    if (info.num_ack_pending === 0) return 0;
    const last = info.delivered.stream_seq;
    const filter = messageSubject(subject);
    let asked = 0;
    // Walk only this consumer's subject, not the whole stream between the two sequences.
    for (let seq = info.ack_floor.stream_seq + 1; seq <= last;) {
      const msg = await this.api.message(MESSAGES_STREAM, { seq, next_by_subj: filter });
      if (!msg || msg.seq > last) break;
      this.nc.publish(ackSubject(durable, msg.seq, info.delivered.consumer_seq), NAK);
      asked++;
      seq = msg.seq + 1;
    }
    return asked;
  }
}
