import type { Packet } from "mqtt-packet";
import type { Outgoing } from "../src/mqtt/packets.ts";
import type { Logger } from "../src/log.ts";
import type { Grant, HeldMessage, QoS, SessionRef } from "../src/mqtt/session.ts";
import type {
  AdmissionPort,
  ConsumerPort,
  PublisherPort,
  Qos2Port,
  SessionStorePort,
  TakeoverPort,
  WillIndexPort,
} from "./ports.ts";

/** What a handler wants done to its connection; the front applies effects in order. */
export type Effect =
  | { readonly kind: "send"; readonly packet: Outgoing }
  /**
   * Send the packet once `pending` resolves to it (nothing if it resolves to null), after every
   * earlier such packet: PUBACKs of pipelined stores, in order. When it resolves to NotStored
   * the connection closes instead, so that the client sends the message again on reconnect.
   */
  | { readonly kind: "sendWhenStored"; readonly pending: Promise<Outgoing | NotStored | null> }
  | {
    readonly kind: "close";
    readonly reason: string;
    readonly graceful?: boolean;
    /** The client broke the protocol: counted and logged as a protocol error. */
    readonly violation?: boolean;
    /** The reason an MQTT 5 client is told in the server's DISCONNECT (default 0x80). */
    readonly code?: number;
    /** What an MQTT 5 DISCONNECT asked of the session's end (see ClosedEvent). */
    readonly ending?: SessionEnding;
  }
  | { readonly kind: "bind"; readonly session: SessionRef }
  | {
    readonly kind: "subscribe";
    readonly grants: readonly Grant[];
    /** The session resumed: its consumers' unacknowledged messages are sent again now. */
    readonly resume?: boolean;
    /**
     * The stored subscriptions of a resumed session, after CONNACK: no SUBACK waits for NATS to
     * have them, so nothing waits for a round trip to NATS either.
     */
    readonly restored?: boolean;
    /** A `sendRetained` follows: hold live messages back until it is done. */
    readonly retained?: boolean;
  }
  /** Send the retained messages that match these new subscriptions [MQTT-3.3.1-6]. */
  | { readonly kind: "sendRetained"; readonly grants: readonly Grant[] }
  | { readonly kind: "unsubscribe"; readonly filters: readonly string[] }
  /** The client acknowledged the QoS 1 delivery with this packet identifier. */
  | { readonly kind: "acked"; readonly packetId: number }
  /** The client received the QoS 2 delivery (PUBREC): release it, never send it again. */
  | {
    readonly kind: "received";
    readonly packetId: number;
    /** MQTT 5 PUBREC with a reason of 0x80 or more: the flow ends, nothing is sent again. */
    readonly refused?: boolean;
  }
  /** The client completed the QoS 2 delivery (PUBCOMP). */
  | { readonly kind: "completed"; readonly packetId: number }
  /** Resend a shared subscription's QoS 2 PUBLISH the session owns (DUP) on resume. */
  | {
    readonly kind: "resendPublish";
    readonly packetId: number;
    readonly streamSeq: number;
    readonly message: HeldMessage;
  }
  /** Resend PUBREL for a QoS 2 delivery the client received before it reconnected. */
  | { readonly kind: "resendRelease"; readonly packetId: number; readonly streamSeq: number }
  /** Handle this packet again after `ms`, holding back the connection's later packets. */
  | { readonly kind: "defer"; readonly ms: number; readonly reason: string };

/** What an MQTT 5 client's DISCONNECT asks of its session's end. */
export interface SessionEnding {
  /** Reason 0x04: publish the will all the same. */
  readonly withWill?: boolean;
  /** A new Session Expiry Interval, seconds. */
  readonly expiry?: number;
}

/** A store failed for good (after its retries): the connection must not wait for it. */
export interface NotStored {
  readonly notStored: string;
}

/** The instance's settings that handlers apply, built once per instance from the config. */
export interface Limits {
  /** max_ack_pending of each consumer: a session's consumers may hold 65535 in all. */
  readonly maxAckPending: number;
  /** Highest QoS granted to a subscription: 2, or 1 when QoS 2 subscriptions are downgraded. */
  readonly maxGrantedQos: QoS;
  /** Close clients that PUBLISH at QoS 2 (as nats-server 2.9 does). */
  readonly rejectQos2Publish: boolean;
  /** Connections per instance at most; 0 for no limit. */
  readonly maxConnections: number;
  readonly maxClientIdLength: number;
  /** MQTT 5 clients are accepted. */
  readonly mqtt5: boolean;
  /** Seconds a disconnected session is kept at most; 0 for no limit. */
  readonly maxSessionExpiry: number;
  /** Longest keepalive of MQTT 5 clients, seconds (Server Keep Alive); 0 for the client's. */
  readonly maxKeepalive: number;
  /** Topic aliases an MQTT 5 client may set (advertised in CONNACK). */
  readonly topicAliasMaximum: number;
  /** Largest packet jetmq accepts (advertised to MQTT 5 clients). */
  readonly maxPacketSize: number;
  /** MQTT 3.1.1/3.1 clients may use shared subscriptions (MQTT 5 clients always may). */
  readonly sharedSubscriptionsV3: boolean;
}

/** Everything a handler may use. Handlers keep nothing between calls. */
export interface HandlerContext {
  readonly instanceId: string;
  readonly connectionId: string;
  readonly remoteAddress: string;
  /** Null until CONNECT has been accepted. */
  readonly session: SessionRef | null;
  readonly sessions: SessionStorePort;
  readonly consumers: ConsumerPort;
  readonly wills: WillIndexPort;
  readonly bus: PublisherPort;
  readonly takeovers: TakeoverPort;
  readonly qos2: Qos2Port;
  readonly admission: AdmissionPort;
  readonly limits: Limits;
  readonly log: Logger;
  /** Milliseconds since the epoch: the clock handlers use, so tests can move it. */
  now(): number;
}

/** The context of a connection whose CONNECT was accepted: every packet after CONNECT. */
export interface SessionContext extends HandlerContext {
  readonly session: SessionRef;
  /** Whether the connection has a subscription with exactly this filter now. */
  subscribed(filter: string): boolean;
}

/**
 * A handler: one packet in, effects out. It may await NATS, never touches sockets, timers or
 * module state. Returning a plain array lets hot paths skip a promise. Packets after CONNECT
 * get a SessionContext: the front never hands them over before the session exists.
 */
export type Handler<P extends Packet = Packet, C extends HandlerContext = SessionContext> = (
  packet: P,
  ctx: C,
) => Effect[] | Promise<Effect[]>;

/** Shared empty result: most QoS 0 publishes need nothing done. */
export const NO_EFFECTS: Effect[] = Object.freeze([]) as unknown as Effect[];

export const send = (packet: Outgoing): Effect => ({ kind: "send", packet });
export const close = (reason: string, graceful = false, code?: number): Effect => ({
  kind: "close",
  reason,
  graceful,
  ...(code === undefined ? {} : { code }),
});
/** Close for a protocol violation: no answer to the client, the reason in the log. */
export const violation = (reason: string): Effect => ({ kind: "close", reason, violation: true });
