import { nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { type JsApi, JsApiError } from "./js_api.ts";
import type { ShareGroups } from "./share_groups.ts";

/** What a resume needs of a consumer's info. */
interface ConsumerState {
  num_ack_pending: number;
  ack_floor: { stream_seq: number };
  delivered: { stream_seq: number; consumer_seq: number };
}
import {
  ackSubject,
  consumerName,
  deliverSubject,
  MESSAGES_STREAM,
  messageSubject,
} from "./names.ts";

export interface ConsumerLimits {
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
}

const NAK = new TextEncoder().encode("-NAK");

// "consumer name already in use" (2.9), "consumer already exists" (2.10+), and the push variant.
const CONSUMER_EXISTS = new Set([10013, 10105, 10148]);

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
  async ensure(key: string, subject: string): Promise<void> {
    const durable = consumerName(key, subject);
    const limits = {
      ack_wait: nanos(this.limits.ackWaitMs),
      max_ack_pending: this.limits.maxAckPending,
    };
    try {
      await this.jsm.consumers.add(MESSAGES_STREAM, {
        durable_name: durable,
        deliver_subject: deliverSubject(key, subject),
        filter_subject: messageSubject(subject),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ...limits,
      });
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || !CONSUMER_EXISTS.has(err.code)) {
        throw err;
      }
      // Created with other limits (the config changed since): keep its queue, take the new ones.
      await this.jsm.consumers.update(MESSAGES_STREAM, durable, limits);
    }
  }

  /** Deletes the consumer and with it the messages only it was keeping. */
  async remove(key: string, subject: string): Promise<void> {
    try {
      await this.jsm.consumers.delete(MESSAGES_STREAM, consumerName(key, subject));
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.ConsumerNotFound) {
        throw err;
      }
    }
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
