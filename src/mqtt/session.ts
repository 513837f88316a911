// The vocabulary shared by handlers, delivery and the store: QoS levels, grants, who a session
// acts as, and what is kept of a session between connections. Types only.

import type { SharedFilter } from "./shared_filter.ts";

export type QoS = 0 | 1 | 2;

/** A Session Expiry Interval that never ends (MQTT 5 0xFFFFFFFF; 3.1.1 clean session 0). */
export const NEVER_EXPIRES = 0xffffffff;

/** What an MQTT 5 client said in CONNECT about what it can take. */
export interface ClientLimits {
  /** Largest packet it accepts; larger PUBLISHes are not sent to it [MQTT-3.1.2-25]. */
  readonly maximumPacketSize: number;
  /** QoS 1 and 2 PUBLISHes it takes unacknowledged at most [MQTT-3.3.4-9]. */
  readonly receiveMaximum: number;
  /** Topic aliases jetmq may set in PUBLISHes to it (0: none) [MQTT-3.3.2-11]. */
  readonly topicAliasMaximum: number;
}

/** What a client may publish and receive; the users file's rules implement it (src/auth). */
export interface TopicPermissions {
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
  /** May a message on `topic` be delivered (a wildcard must not leak a denied topic)? */
  canReceive(topic: string): boolean;
  /** False when every topic of every granted filter may be received: no per-message check. */
  readonly checksDelivery: boolean;
}

/** Who a connection is, once authenticated. */
export interface Identity {
  /** User name or token name; null for anonymous clients. */
  readonly name: string | null;
  readonly permissions: TopicPermissions | null;
  readonly maxConnections: number | null;
}

/** The session a connection is bound to after CONNECT. */
export interface SessionRef {
  /** Store key of the session (derived from the client id by the session store). */
  readonly key: string;
  readonly clientId: string;
  readonly clean: boolean;
  /** Revision of the claim; a takeover with a higher generation closes this connection. */
  readonly generation: number;
  readonly protocolVersion: number;
  readonly keepalive: number;
  /** Who authenticated, with what they may publish and receive. */
  readonly identity: Identity;
  /**
   * Seconds the session is kept after its connection ends: 0 (ends with it), NEVER_EXPIRES, or
   * an MQTT 5 Session Expiry Interval between.
   */
  readonly expiry: number;
  /** MQTT 5 only. */
  readonly client?: ClientLimits;
}

/** A filter a client may receive messages for, with the NATS subjects that implement it. */
export interface Grant {
  readonly filter: string;
  readonly qos: QoS;
  readonly subjects: readonly string[];
  /**
   * QoS 1/2 messages come from the session's durable consumers (one per subject), not from
   * the plain subjects: true for persistent sessions' QoS 1/2 subscriptions.
   */
  readonly stored: boolean;
  /** MQTT 5 subscription options (absent: off). */
  readonly options?: SubscriptionOptions;
  /**
   * A shared subscription (`filter` is the whole `$share/{ShareName}/{filter}`): each message goes
   * to one member of the group, from its NATS queue group and its group consumer, never from
   * the session's own consumers (`stored` is false).
   */
  readonly share?: SharedFilter;
}

/** MQTT 5 subscription options that outlive SUBSCRIBE (Retain Handling does not). */
export interface SubscriptionOptions {
  /** No Local: not the messages of the client's own publishes [MQTT-3.8.3-3]. */
  readonly nl?: true;
  /** Retain As Published: the RETAIN flag as published [MQTT-3.3.1-12]. */
  readonly rap?: true;
  /** Subscription Identifier, sent with each message the subscription matches [MQTT-3.3.4-3]. */
  readonly id?: number;
}

/** What is kept of one client id between connections. The owner fences writes after a takeover. */
export interface SessionRecord {
  v: 1;
  clientId: string;
  clean: boolean;
  protocolVersion: number;
  subscriptions: Record<string, QoS>;
  /** MQTT 5 subscription options of those filters that have any. */
  options?: Record<string, SubscriptionOptions>;
  owner: { instance: string; connection: string } | null;
  connectedAt: string;
  /** When this claim took the session from a live owner; null when nobody held it. */
  takeoverAt?: string | null;
  /** Published if the connection ends without DISCONNECT [MQTT-3.1.2-8]. */
  will?: WillRecord | null;
  /**
   * Set when the connection ended and the will waits (a drained client may come back; MQTT 5's
   * Will Delay Interval): milliseconds since the epoch when it is due. A CONNECT before then
   * cancels it.
   */
  willAt?: number | null;
  /** Seconds the session outlives its connection (absent: for ever, as 3.1.1 asks). */
  expiry?: number;
  /**
   * Set when the connection ended and the session expires: milliseconds since the epoch. Any
   * instance's timer removes it then, unless a CONNECT resumed it before.
   */
  expireAt?: number | null;
  /**
   * The last connection ended with every delivery finished (no PUBLISH unacknowledged, no
   * PUBREL owed): resuming has nothing to send again, and skips looking.
   */
  settled?: boolean;
}

/** A Last Will, as CONNECT gave it. */
export interface WillRecord {
  /** NATS subject of the will topic. */
  subject: string;
  /** Base64. */
  payload: string;
  qos: QoS;
  retain: boolean;
  /** MQTT 5 Will Delay Interval, seconds: published this long after the end, if still due. */
  delay?: number;
  /** Its MQTT 5 properties (Will Delay Interval aside), encoded, base64. */
  props?: string;
}

/** What claiming a session for a new connection yields. */
export interface ClaimResult {
  record: SessionRecord;
  /** Revision of the claiming write: grows with every claim, across deletes too. */
  generation: number;
  previous: SessionRecord | null;
}

/** A QoS 2 message received from a client, kept until its PUBREL. */
export interface HeldMessage {
  subject: string;
  /** Base64. */
  payload: string;
  retain: boolean;
  /** Its MQTT 5 properties as header pairs (src/nats/mqtt_headers.ts). */
  props?: Array<[string, string]>;
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
  /**
   * A shared subscription's QoS 2 message sent to this session and not received yet: it is the
   * session's now [MQTT-4.8.2-4], sent again (DUP) on resume, dropped with the session
   * [MQTT-4.8.2-5]. Absent once the client sent PUBREC.
   */
  readonly publish?: HeldMessage;
}
