import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { Grant, HeldMessage, QoS } from "../mqtt/session.ts";
import { RETAIN_HEADER } from "../mqtt/message_props.ts";
import { hidesDollar } from "../mqtt/subject_match.ts";
import { startsWithWildcard, topicBytes } from "../mqtt/topic_map.ts";
import type { Bus } from "../nats/bus.ts";
import type { BusMessage } from "../nats/bus_message.ts";
import { MESSAGE_SUBJECT_PREFIX, parseAckSubject } from "../nats/names.ts";
import type { ClientSender } from "./client_sender.ts";
import { DeliveredSource } from "./mqtt5_publishes.ts";
import type { SharedReceiver } from "./shared_subscriptions.ts";

/** How long a member at its Receive Maximum lets a group's message wait before it is offered again. */
const BUSY_RETRY_MS = 100;

/**
 * What one member of shared subscriptions' groups does with the messages NATS and the groups'
 * consumers give it: each goes to this member only, so whatever this member cannot take goes
 * back to the group, and a QoS 2 message, once sent, stays with this member's session.
 */
export class SharedDeliveries implements SharedReceiver {
  constructor(
    readonly sender: ClientSender,
    readonly deps: {
      readonly bus: Bus;
      readonly stats?: { sharedMessage(filter: string): void } | undefined;
    },
  ) {}

  /**
   * A message NATS gave this member on a plain subject: QoS 0, or from a NATS publisher. A
   * stored one's copy is left: the group consumer hands that out.
   */
  sharedLive(grant: Grant, m: BusMessage): void {
    const o = this.sender;
    if (o.closed || m.stored || !o.mayReceive(m.subject)) return;
    if (hidesDollar(startsWithWildcard(grant.subjects[0] ?? ""), m.subject)) return;
    const qos = Math.min(m.qos ?? 0, grant.qos) as QoS;
    this.deps.stats?.sharedMessage(grant.filter);
    o.sendUnstored(m.subject, topicBytes(m.subject), m.data, qos, retainOf(grant, m), m, grant);
  }

  /**
   * A message the group's consumer gave this member. QoS 1 is acknowledged in JetStream when the
   * client acknowledges it (any reason: a refusal is not tried elsewhere [MQTT-4.8.2-6]), and
   * handed back to the group if the connection ends first. A QoS 2 message becomes this
   * session's (written down for a persistent one) and leaves the group at once [MQTT-4.8.2-4].
   * A member at its Receive Maximum hands the message back for another member.
   */
  sharedStored(grant: Grant, m: BusMessage): void {
    const o = this.sender;
    const bus = this.deps.bus;
    const ack = parseAckSubject(m.reply);
    const reply = m.reply;
    if (!ack || !reply) return;
    if (o.closed) return bus.nak(reply);
    const subject = m.subject.slice(MESSAGE_SUBJECT_PREFIX.length);
    const hidden = hidesDollar(startsWithWildcard(grant.subjects[0] ?? ""), subject);
    if (hidden || !o.mayReceive(subject)) return bus.ack(reply);
    const qos = Math.min(m.qos ?? 1, grant.qos) as QoS;
    const retain = retainOf(grant, m);
    const source = new DeliveredSource(m);
    const topic = topicBytes(subject);
    if (qos === 0) {
      const bytes = o.encode(subject, topic, m.data, 0, retain, source, false, 0, grant);
      if (bytes) o.writeDroppable(bytes);
      this.deps.stats?.sharedMessage(grant.filter);
      return bus.ack(reply);
    }
    const id = o.fullForShared() ? null : o.inFlight.takeShared(reply, ack.streamSeq, qos);
    if (id === null) return bus.nakAfter(reply, BUSY_RETRY_MS);
    // New to this member, whoever had it before: no DUP.
    const bytes = o.encode(subject, topic, m.data, qos, retain, source, false, id, grant);
    if (!bytes) {
      // Expired, or too large for this client: delivered as far as MQTT 5 is concerned.
      o.inFlight.release(id);
      return bus.ack(reply);
    }
    this.deps.stats?.sharedMessage(grant.filter);
    if (qos === 1) {
      if (!o.write(bytes)) {
        o.inFlight.release(id);
        bus.nak(reply);
      }
      return;
    }
    o.inFlight.restorePublished(id, ack.streamSeq);
    if (o.session.clean) {
      // The session ends with the connection, and the message with it [MQTT-4.8.2-5].
      bus.ack(reply);
      o.write(bytes);
      return;
    }
    const message: HeldMessage = {
      subject,
      payload: Buffer.from(m.data).toString("base64"),
      retain,
      ...(m.headers ? { props: headerPairs(m.headers) } : {}),
    };
    o.releases.own(id, ack.streamSeq, message, reply, bytes);
  }

  /** On resume: a shared QoS 2 message the session owns goes out again, DUP [MQTT-4.8.2-4]. */
  resend(packetId: number, streamSeq: number, message: HeldMessage): void {
    const o = this.sender;
    o.inFlight.restorePublished(packetId, streamSeq);
    const source = { headers: message.props ? headersOf(message.props) : undefined };
    const payload = Buffer.from(message.payload, "base64");
    const topic = topicBytes(message.subject);
    const retain = message.retain;
    const bytes = o.encode(
      message.subject,
      topic,
      payload,
      2,
      retain,
      source,
      true,
      packetId,
      undefined,
    );
    if (bytes) o.write(bytes);
  }
}

/** Retain As Published keeps the RETAIN flag the message was published with. */
const retainOf = (grant: Grant, m: Pick<BusMessage, "headers">): boolean =>
  grant.options?.rap === true && m.headers?.get(RETAIN_HEADER) === "1";

/** A message's NATS headers as pairs, to keep with a shared QoS 2 message a session owns. */
function headerPairs(h: MsgHdrs): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [k, values] of h) for (const v of values) pairs.push([k, v]);
  return pairs;
}

function headersOf(pairs: ReadonlyArray<readonly [string, string]>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of pairs) h.append(k, v);
  return h;
}
