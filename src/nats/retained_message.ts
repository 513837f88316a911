import type { MsgHdrs } from "@nats-io/transport-node";
import type { QoS } from "../mqtt/session.ts";
import { QOS_HEADER } from "./bus_message.ts";
import { RETAINED_SUBJECT_PREFIX } from "./names.ts";

/** A retained message as a lookup returns it. */
export interface RetainedMessage {
  /** Plain NATS subject (the topic's). */
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  /** Read by MQTT 5 delivery only (message_props.ts: deliveryProps). */
  readonly headers?: MsgHdrs | undefined;
}

/** A message of the retained stream, by its stored subject, as delivery takes it. */
export function toRetained(
  storedSubject: string,
  payload: Uint8Array,
  headers?: MsgHdrs,
): RetainedMessage {
  const q = headers?.get(QOS_HEADER);
  return {
    subject: storedSubject.slice(RETAINED_SUBJECT_PREFIX.length),
    payload,
    qos: q === "1" || q === "2" ? (Number(q) as QoS) : 0,
    headers,
  };
}
