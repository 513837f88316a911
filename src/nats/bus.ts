import type { QoS } from "../mqtt/session.ts";
import { errors, headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { StorePipeline } from "./store_pipeline.ts";
import type { MessageProps } from "../mqtt/message_props.ts";
import { messageSubject, retainedSubject } from "./names.ts";
import { type BusMessage, QOS_HEADER, STORED_HEADER, toBusMessage } from "./bus_message.ts";
import { type LightHandler, LightSubscription } from "./light_subscription.ts";
import { type ProtocolInternals, protocolOf } from "./protocol_internals.ts";

export type BusMessageHandler = (msg: BusMessage) => void;

/** What an internal request got (see Bus.ask). */
export type Asked = Uint8Array | "late" | "nobody";

/** A handler shared by many subscriptions, told the tag of the one each message came through. */
export type SharedMessageHandler<T> = (tag: T, msg: BusMessage) => void;

export interface BusSubscription {
  unsubscribe(): void;
  /** UNSUB, and forgotten only once the server has seen it: what it sent before still arrives. */
  drain(): Promise<void>;
}

/**
 * Leaves a subscription to a JetStream consumer's deliver subject. A delivery NATS sent before
 * it saw the UNSUB would be dropped by `unsubscribe()` and sent again only after ack_wait;
 * drained, it reaches the subscription's handler, which hands it back (NAK) at once.
 */
export function leaveDeliveries(sub: BusSubscription): void {
  sub.drain().catch(() => {}); // a closed connection: JetStream redelivers after ack_wait
}

// Headers are immutable once built, so one instance per (QoS, stored) serves every publish, and
// its wire form is encoded once (the library encodes a header set on every publish).
const makeHeaders = (qos: QoS, stored: boolean): MsgHdrs => {
  const h = headers();
  h.set(QOS_HEADER, String(qos));
  if (stored) h.set(STORED_HEADER, "1");
  // The library's header set has encode(); its exported type does not say so.
  const impl = h as MsgHdrs & { encode(): Uint8Array };
  const wire = impl.encode();
  impl.encode = () => wire;
  return h;
};
const plainHeaders: readonly MsgHdrs[] = [0, 1, 2].map((q) => makeHeaders(q as QoS, false));
const storedHeaders: readonly MsgHdrs[] = [0, 1, 2].map((q) => makeHeaders(q as QoS, true));
/** Publish options of those, made once: a message without properties allocates none. */
const plainOptions = plainHeaders.map((headers) => ({ headers }));
const storedOptions = storedHeaders.map((headers) => ({ headers }));
const encoder = new TextEncoder();
const ACK = new TextEncoder().encode("+ACK");
const NAK = new TextEncoder().encode("-NAK");

/**
 * Core NATS publish/subscribe and the message store, as handlers and delivery need them. The
 * connection is made with no_echo: what this instance publishes is handed to its own
 * subscribers through `onLocalPublish` rather than coming back from NATS.
 */
export class Bus {
  onLocalPublish: BusMessageHandler = () => {};
  #local = new Map<string, (payload: Uint8Array) => Uint8Array>();

  readonly #nc: NatsConnection;
  /** Where shared subscriptions' queue groups listen: a connection with echo (see queue()). */
  readonly #echoNc: NatsConnection;
  /** Where light subscriptions are registered; null when this nats.js does not allow them. */
  readonly #protocol: ProtocolInternals | null;
  #lightHandlers = new Map<SharedMessageHandler<never>, LightHandler<never>>();

  constructor(nc: NatsConnection, readonly stores: StorePipeline, echoNc?: NatsConnection) {
    this.#nc = nc;
    this.#echoNc = echoNc ?? nc;
    this.#protocol = protocolOf(nc);
  }

  /** Largest payload NATS accepts; MQTT payloads over it cannot be forwarded. */
  get maxPayload(): number {
    return this.#nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Publishes an MQTT message to NATS subscribers, tagged with its QoS. */
  publish(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    stored = false,
    props: MessageProps | null = null,
  ): void {
    const options = (stored ? storedOptions : plainOptions)[qos] as { headers: MsgHdrs };
    const headers = props ? withProps(options.headers, props) : options.headers;
    this.#nc.publish(subject, payload, props ? { headers } : options);
    this.onLocalPublish({ subject, data: payload, qos, stored, reply: undefined, headers });
  }

  /**
   * Answers requests on `subject` from this instance too, which no_echo would otherwise hide
   * from the subscription `subscribe` made for the other instances.
   */
  answerLocally(subject: string, handler: (payload: Uint8Array) => Uint8Array): void {
    this.#local.set(subject, handler);
  }

  /**
   * Stores a QoS 1/2 message in the messages stream; resolves to its sequence once stored. With
   * `msgId`, JetStream drops a second store of the same id (its duplicate window, 2 minutes by
   * default): a QoS 2 release retried after a crash is stored once.
   */
  store(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    msgId?: string,
    props: MessageProps | null = null,
  ): Promise<number> {
    const base = plainHeaders[qos] as MsgHdrs;
    const headers = props ? withProps(base, props) : base;
    return this.stores.store(messageSubject(subject), payload, headers, msgId);
  }

  /** Keeps the message as the subject's retained one; an empty payload deletes it. */
  retain(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    props: MessageProps | null = null,
  ): Promise<number> {
    const base = plainHeaders[qos] as MsgHdrs;
    const headers = props ? withProps(base, props) : base;
    return this.stores.store(retainedSubject(subject), payload, headers);
  }

  /** Acknowledges a message a JetStream consumer delivered. */
  ack(reply: string): void {
    this.#nc.publish(reply, ACK);
  }

  /** Hands a JetStream delivery back for redelivery now. */
  nak(reply: string): void {
    this.#nc.publish(reply, NAK);
  }

  /**
   * Sends an internal request: the answer when it came within `timeoutMs`; "late" when somebody
   * listens but did not answer in time; "nobody" when nobody listens (no responders), or the
   * request could not be sent.
   */
  async ask(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Asked> {
    const local = this.#local.get(subject);
    if (local) return local(payload);
    try {
      return (await this.#nc.request(subject, payload, { timeout: timeoutMs })).data;
    } catch (err) {
      return err instanceof errors.TimeoutError ? "late" : "nobody";
    }
  }

  /** Publishes an internal control message (no QoS header). */
  notify(subject: string, payload: Uint8Array): void {
    this.#nc.publish(subject, payload);
  }

  subscribe(subject: string, onMessage: BusMessageHandler): BusSubscription {
    if (this.#protocol && !this.#nc.isClosed() && !this.#nc.isDraining()) {
      const sub = new LightSubscription(
        subject,
        this.#protocol,
        (_, m) => onMessage(toBusMessage(m)),
        subject,
      );
      this.#protocol.subscribe(sub);
      return sub;
    }
    return this.#nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) onMessage(toBusMessage(msg));
      },
    });
  }

  /**
   * Subscribes `subject` for a handler that many subscriptions share, told each message's `tag`
   * (what the subscriber needs to place it): one callback for them all, where a closure each
   * would cost memory per subscription (a client per topic, by the ten thousand).
   */
  subscribeShared<T>(subject: string, onMessage: SharedMessageHandler<T>, tag: T): BusSubscription {
    const handler = this.#lightHandler(onMessage);
    // A closed or draining connection: the library's subscribe says so (it throws).
    if (this.#protocol && !this.#nc.isClosed() && !this.#nc.isDraining()) {
      const sub = new LightSubscription(subject, this.#protocol, handler, tag);
      this.#protocol.subscribe(sub);
      return sub;
    }
    return this.#nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) handler(tag, msg);
      },
    });
  }

  /** One adapter per shared handler (Fanout has one), not one per subscription. */
  #lightHandler<T>(onMessage: SharedMessageHandler<T>): LightHandler<T> {
    let handler = this.#lightHandlers.get(onMessage) as LightHandler<T> | undefined;
    if (!handler) {
      handler = (tag, msg) => onMessage(tag, toBusMessage(msg));
      this.#lightHandlers.set(onMessage, handler);
    }
    return handler;
  }

  /**
   * A member of NATS queue group `queue` on `subject`: each message goes to one member of the
   * group, whichever process holds it. On plain subjects this listens through the connection
   * with echo, so that NATS also chooses among this instance's members for the messages this
   * instance publishes (no_echo would leave them out, and local matching would add a second
   * copy); on a consumer's deliver subject, through the main one.
   */
  queue(
    subject: string,
    queue: string,
    onMessage: BusMessageHandler,
    echo: boolean,
  ): BusSubscription {
    if (echo && this.#echoNc !== this.#nc) this.#echoSubscribed = true;
    return (echo ? this.#echoNc : this.#nc).subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (!err) onMessage(toBusMessage(msg));
      },
    });
  }

  /** Hands a JetStream delivery back to be sent again after `ms` (to whichever member). */
  nakAfter(reply: string, ms: number): void {
    this.#nc.publish(reply, encoder.encode(`-NAK {"delay":${ms * 1_000_000}}`));
  }

  #nextFlush: Promise<void> | null = null;
  /** A queue subscription was made on the echo connection since the last flush. */
  #echoSubscribed = false;

  /**
   * Resolves once NATS has seen everything sent before the call (a PING answered). The calls of
   * one turn of the event loop share one PING: a storm of resumed sessions, each making sure its
   * subscriptions are in place before CONNACK, would otherwise cost a write and a round trip each.
   */
  flush(): Promise<void> {
    if (this.#nextFlush) return this.#nextFlush;
    const next = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        // Calls from now on need a PING written after their subscriptions: a new one.
        this.#nextFlush = null;
        const echo = this.#echoSubscribed;
        this.#echoSubscribed = false;
        Promise.all([this.#nc.flush(), echo ? this.#echoNc.flush() : null]).then(
          () => resolve(),
          reject,
        );
      });
    });
    this.#nextFlush = next;
    return next;
  }
}

/** Headers: the QoS ones jetmq always sends, then the message's own (MQTT 5 properties). */
function withProps(base: MsgHdrs, props: MessageProps): MsgHdrs {
  const h = headers();
  for (const [k, values] of base) for (const v of values) h.append(k, v);
  for (const [k, v] of props.pairs) h.append(k, v);
  return h;
}
