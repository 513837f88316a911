import { topicToSubject } from "./topic_map.ts";
import { decodeProperties, encodeProperties, type Properties } from "./v5_properties.ts";
import { encodeVarint, readVarint } from "./varint.ts";

// MQTT 5 message properties as NATS headers (docs/nats-interop.md). Readable ones for NATS
// applications, and one lossless carrier, Mqtt-Props, that gives MQTT 5 subscribers the
// properties exactly as published (user properties in order, repeated names and all).

/** The publisher's properties, base64 of their MQTT 5 encoding (length first). */
export const PROPS_HEADER = "Mqtt-Props";
/** When the message was published, ms since the epoch: its Message Expiry counts from here. */
export const TIME_HEADER = "Mqtt-Time";
export const EXPIRY_HEADER = "Mqtt-Message-Expiry";
/** The client id of an MQTT 5 publisher: its No Local subscriptions skip the message. */
export const PUBLISHER_HEADER = "Jetmq-Publisher";
/** The message was published with RETAIN: Retain As Published subscriptions keep the flag. */
export const RETAIN_HEADER = "Jetmq-Retain";
const READABLE: Array<[keyof Properties, string]> = [
  ["contentType", "Mqtt-Content-Type"],
  ["responseTopic", "Mqtt-Response-Topic"],
  ["payloadFormatIndicator", "Mqtt-Payload-Format"],
];
const CORRELATION_HEADER = "Mqtt-Correlation-Data";

/**
 * Header names a user property may not take: they drive JetStream (Nats-*), nats-server's MQTT
 * (Nmqtt-*), jetmq itself (Jetmq-*), or the scheme above (Mqtt-*).
 */
const RESERVED = /^(nats|nmqtt|jetmq|mqtt)-/i;
/** A header name NATS can carry (an HTTP-style token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What a message carries besides topic, payload and QoS, prepared once for its copies. */
export interface MessageProps {
  /** Extra header pairs for the NATS message (and the stored copies). */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
}

/**
 * The headers of an MQTT 5 PUBLISH's properties (`props`, as decoded). The Topic Alias belongs
 * to one connection and Subscription Identifiers to one subscriber: neither is carried.
 */
export function messageProps(props: Properties, now: number): MessageProps | null {
  const carried: Properties = { ...props };
  delete carried.topicAlias;
  delete carried.subscriptionIdentifiers;
  if (Object.keys(carried).length === 0) return null;
  const pairs: Array<[string, string]> = [
    [PROPS_HEADER, Buffer.from(encodeProperties(carried)).toString("base64")],
  ];
  for (const [name, header] of READABLE) {
    const v = carried[name];
    if (v !== undefined) pairs.push([header, String(v)]);
  }
  if (carried.correlationData) {
    pairs.push([CORRELATION_HEADER, Buffer.from(carried.correlationData).toString("base64")]);
  }
  if (carried.messageExpiryInterval !== undefined) {
    pairs.push([EXPIRY_HEADER, String(carried.messageExpiryInterval)], [TIME_HEADER, String(now)]);
  }
  for (const [k, v] of carried.userProperties ?? []) {
    if (TOKEN.test(k) && !RESERVED.test(k) && !/[\r\n]/.test(v)) pairs.push([k, v]);
  }
  return { pairs };
}

/** A message's headers, as NATS gives them (MsgHdrs is one). */
export interface HeaderReader extends Iterable<[string, string[]]> {
  get(name: string): string;
}

/** What delivery needs of a message's MQTT 5 side. */
export interface DeliveryProps {
  /** The property block's bytes (without its length), for MQTT 5 subscribers. */
  readonly raw: Uint8Array;
  /** When the message expires, ms since the epoch; null if never. */
  readonly expiresAt: number | null;
}

/**
 * The properties an MQTT 5 subscriber gets with a message from NATS: the carrier's when an MQTT
 * 5 client published it; for a NATS publisher's message, its headers as user properties and its
 * reply subject as the Response Topic (so that `nc.request()` can call an MQTT 5 device).
 */
export function deliveryProps(
  h: HeaderReader | undefined,
  reply: string | undefined,
): DeliveryProps | null {
  const carrier = h?.get(PROPS_HEADER);
  if (carrier) {
    const block = Buffer.from(carrier, "base64");
    const length = readVarint(block, 0);
    if (!length) return null;
    const expiry = Number(h?.get(EXPIRY_HEADER) || NaN);
    const time = Number(h?.get(TIME_HEADER) || NaN);
    return {
      raw: block.subarray(length.size),
      expiresAt: Number.isFinite(expiry) && Number.isFinite(time) ? time + expiry * 1000 : null,
    };
  }
  const props: Properties = {};
  if (h) {
    const user: Array<[string, string]> = [];
    for (const [k, values] of h) {
      if (RESERVED.test(k)) continue;
      for (const v of values) user.push([k, v]);
    }
    if (user.length > 0) props.userProperties = user;
  }
  const responseTopic = reply ? replyTopic(reply) : null;
  if (responseTopic) props.responseTopic = responseTopic;
  if (Object.keys(props).length === 0) return null;
  const block = encodeProperties(props);
  return { raw: block.subarray(readVarint(block, 0)?.size ?? 1), expiresAt: null };
}

/** The MQTT topic of a NATS reply subject, when the topic maps back to that subject exactly. */
function replyTopic(reply: string): string | null {
  const topic = reply.replaceAll(".", "/");
  const back = topicToSubject(topic);
  return typeof back === "string" && back === reply ? topic : null;
}

/**
 * The property block (length first) to send now: the Message Expiry Interval lowered by the
 * time the message waited [MQTT-3.3.2-6]; null when it has expired and must not be sent.
 */
export function propsToSend(p: DeliveryProps, now: number): Uint8Array | null {
  if (p.expiresAt === null) return withLength(p.raw);
  const left = Math.ceil((p.expiresAt - now) / 1000);
  if (left <= 0) return null;
  const decoded = decodeProperties(withLength(p.raw), 0, "publish");
  if ("reason" in decoded) return withLength(p.raw);
  return encodeProperties({ ...decoded.properties, messageExpiryInterval: left });
}

function withLength(raw: Uint8Array): Uint8Array {
  return Buffer.concat([encodeVarint(raw.length), raw]);
}
