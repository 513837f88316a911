import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import type { QoS } from "../mqtt/session.ts";
import { headerText, headerValue } from "./raw_headers.ts";

/** The header nats-server's MQTT puts on MQTT-originated messages: the publish QoS. */
export const QOS_HEADER = "Nmqtt-Pub";

/**
 * On the plain-subject copy of a message jetmq also stored in JetStream: persistent sessions'
 * QoS 1/2 subscriptions get that message from their consumer and skip this copy.
 */
export const STORED_HEADER = "Jetmq-Stored";

/** A message as delivery sees it. */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** From Nmqtt-Pub; null for messages from plain NATS publishers. */
  readonly qos: QoS | null;
  readonly stored: boolean;
  readonly reply: string | undefined;
  /** Read by MQTT 5 delivery only (message_props.ts: deliveryProps). */
  readonly headers?: MsgHdrs | undefined;
}

/** A message from NATS as delivery sees it. */
export function toBusMessage(msg: Msg): BusMessage {
  const text = headerText(msg);
  const stored = headerOf(msg, text, STORED_HEADER) === "1";
  return new FromNats(msg, qosOf(headerOf(msg, text, QOS_HEADER)), stored);
}

/** A header's first value: from the block's text, or the library's map where there is none. */
function headerOf(msg: Msg, text: string | null | undefined, name: string): string | undefined {
  if (text === undefined) return msg.headers?.get(name) || undefined;
  return text === null ? undefined : headerValue(text, name);
}

const qosOf = (q: string | undefined): QoS | null =>
  q === "0" || q === "1" || q === "2" ? (Number(q) as QoS) : null;

/** A message from NATS whose header map is made only when something reads it. */
class FromNats implements BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;

  constructor(readonly msg: Msg, readonly qos: QoS | null, readonly stored: boolean) {
    this.subject = msg.subject;
    this.data = msg.data;
    this.reply = msg.reply;
  }

  /** Most deliveries never read it: an MQTT 3.1.1 subscriber gets no properties. */
  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }
}
