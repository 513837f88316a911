import {
  type DeliveryProps,
  deliveryProps,
  propsToSend,
  PUBLISHER_HEADER,
} from "../mqtt/message_props.ts";
import type { ClientLimits, QoS } from "../mqtt/session.ts";
import { encodePublishV5 } from "../mqtt/v5_encode.ts";
import { encodeProperties, type Properties } from "../mqtt/v5_properties.ts";
import { encodeVarint, readVarint } from "../mqtt/varint.ts";
import type { BusMessage } from "../nats/bus_message.ts";

/** Published by this client (an MQTT 5 publisher says who it is): No Local's test. */
export const isOwn = (m: Pick<BusMessage, "headers">, clientId: string): boolean =>
  m.headers?.get(PUBLISHER_HEADER) === clientId;

/** Where a message's MQTT 5 properties come from: its NATS headers and reply subject. */
export type MessageSource = Pick<BusMessage, "headers"> & { readonly reply?: string | undefined };

/**
 * A JetStream delivery as a message source: its headers without its reply (the reply is the
 * delivery's acknowledgement, no Response Topic), read only when an MQTT 5 subscriber needs them.
 */
export class DeliveredSource implements MessageSource {
  constructor(readonly m: Pick<BusMessage, "headers">) {}

  get headers(): BusMessage["headers"] {
    return this.m.headers;
  }
}

const NO_PROPERTIES = Uint8Array.of(0);
const EMPTY = new Uint8Array(0);

/** A message's MQTT 5 side, read once however many subscribers it goes to (keyed by headers). */
const readProps = new WeakMap<object, DeliveryProps | null>();

/**
 * The property block an MQTT 5 subscriber gets with `m` now (length first); null when the
 * message has expired [MQTT-3.3.2-5].
 */
export function mqtt5Props(m: MessageSource, now: number): Uint8Array | null {
  let props: DeliveryProps | null | undefined;
  if (m.headers && !m.reply) {
    props = readProps.get(m.headers);
    if (props === undefined) readProps.set(m.headers, props = deliveryProps(m.headers, undefined));
  } else props = deliveryProps(m.headers, m.reply);
  return props ? propsToSend(props, now) : NO_PROPERTIES;
}

/**
 * The PUBLISHes of one MQTT 5 connection: the message's properties, plus what is this
 * subscriber's own — its Subscription Identifiers and the topic aliases jetmq set on this
 * connection (they live as long as it [MQTT-3.3.2-10]: this object is the connection's).
 */
export class Mqtt5Publishes {
  /** Subject → alias. */
  #aliases: Map<string, number> | null = null;
  /** The subject whose alias the last PUBLISH encoded sets. */
  #setting: string | null = null;

  constructor(readonly client: ClientLimits) {}

  /**
   * The PUBLISH, or null when it must not be sent — expired [MQTT-3.3.2-5], or over the client's
   * Maximum Packet Size [MQTT-3.1.2-25] — and counts as delivered.
   */
  encode(
    subject: string,
    topic: Uint8Array,
    payload: Uint8Array,
    qos: QoS,
    retain: boolean,
    source: MessageSource,
    ids: readonly number[],
    dup: boolean,
    id: number,
  ): Uint8Array | null {
    this.#setting = null;
    let props = mqtt5Props(source, Date.now());
    if (!props) return null;
    const max = this.client.topicAliasMaximum;
    const alias = max > 0 ? this.#aliasFor(subject, max) : null;
    if (ids.length > 0 || alias) {
      const own: Properties = {
        ...(alias ? { topicAlias: alias.alias } : {}),
        ...(ids.length > 0 ? { subscriptionIdentifiers: [...ids] } : {}),
      };
      props = withProperties(props, encodeProperties(own));
    }
    const bytes = encodePublishV5(
      alias?.known ? EMPTY : topic,
      payload,
      qos,
      retain,
      props,
      dup,
      id,
    );
    return bytes.length > this.client.maximumPacketSize ? null : bytes;
  }

  /**
   * The last PUBLISH encoded was dropped (QoS 0, a slow reader): an alias it was to set never
   * reached the client, and is set again by the next PUBLISH of that topic.
   */
  dropped(): void {
    if (this.#setting !== null) this.#aliases?.delete(this.#setting);
    this.#setting = null;
  }

  /** Whether PUBLISHes to this client differ from one client to the next (aliases, ids). */
  ownBytes(withIds: boolean): boolean {
    return withIds || this.client.topicAliasMaximum > 0;
  }

  /** The alias of `subject`'s topic; `known` once a PUBLISH has set it; null when all are taken. */
  #aliasFor(subject: string, max: number): { alias: number; known: boolean } | null {
    const aliases = this.#aliases ??= new Map();
    const known = aliases.get(subject);
    if (known !== undefined) return { alias: known, known: true };
    if (aliases.size >= max) return null;
    const alias = aliases.size + 1;
    aliases.set(subject, alias);
    this.#setting = subject;
    return { alias, known: false };
  }
}

/** A property block (length first) with `extra` property bytes (their own length first) added. */
function withProperties(block: Uint8Array, extra: Uint8Array): Uint8Array {
  const a = readVarint(block, 0);
  const b = readVarint(extra, 0);
  if (!a || !b) return block;
  const content = [block.subarray(a.size), extra.subarray(b.size)];
  const length = content[0]!.length + content[1]!.length;
  return Buffer.concat([encodeVarint(length), ...content]);
}
