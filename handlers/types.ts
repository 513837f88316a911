import type { Packet } from "mqtt-packet";
import type { Logger } from "../src/log.ts";
import type { Bus } from "../src/nats/bus.ts";
import type { SessionConsumers } from "../src/nats/consumers.ts";
import type { Leases } from "../src/nats/leases.ts";
import type { Qos2Store } from "../src/nats/qos2.ts";
import type { AuthContext } from "../src/auth/auth_context.ts";
import type { Identity } from "../src/auth/authenticator.ts";
import type { QoS, SessionStore } from "../src/nats/sessions.ts";

/** The session a connection is bound to after CONNECT. */
export interface SessionRef {
  /** KV key: hash of the client id. */
  readonly key: string;
  readonly clientId: string;
  readonly clean: boolean;
  /** KV revision of the claim; a takeover with a higher generation closes this connection. */
  readonly generation: number;
  readonly protocolVersion: number;
  readonly keepalive: number;
  /** Who authenticated, with what they may publish and receive. */
  readonly identity: Identity;
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
}

/** What a handler wants done to its connection; the front applies effects in order. */
export type Effect =
  | { readonly kind: "send"; readonly packet: Packet }
  /**
   * Send the packet once `pending` resolves to it (nothing if it resolves to null), after every
   * earlier such packet: PUBACKs of pipelined stores, in order.
   */
  | { readonly kind: "sendWhenStored"; readonly pending: Promise<Packet | null> }
  | {
    readonly kind: "close";
    readonly reason: string;
    readonly graceful?: boolean;
    /** The client broke the protocol: counted and logged as a protocol error. */
    readonly violation?: boolean;
  }
  | { readonly kind: "bind"; readonly session: SessionRef }
  | {
    readonly kind: "subscribe";
    readonly grants: readonly Grant[];
    /** The session resumed: its consumers' unacknowledged messages are sent again now. */
    readonly resume?: boolean;
    /** A `sendRetained` follows: hold live messages back until it is done. */
    readonly retained?: boolean;
  }
  /** Send the retained messages that match these new subscriptions [MQTT-3.3.1-6]. */
  | { readonly kind: "sendRetained"; readonly grants: readonly Grant[] }
  | { readonly kind: "unsubscribe"; readonly filters: readonly string[] }
  /** The client acknowledged the QoS 1 delivery with this packet identifier. */
  | { readonly kind: "acked"; readonly packetId: number }
  /** The client received the QoS 2 delivery (PUBREC): release it, never send it again. */
  | { readonly kind: "received"; readonly packetId: number }
  /** The client completed the QoS 2 delivery (PUBCOMP). */
  | { readonly kind: "completed"; readonly packetId: number }
  /** Resend PUBREL for a QoS 2 delivery the client received before it reconnected. */
  | { readonly kind: "resendRelease"; readonly packetId: number; readonly streamSeq: number }
  /** Handle this packet again after `ms`, holding back the connection's later packets. */
  | { readonly kind: "defer"; readonly ms: number; readonly reason: string };

/** Switches for users coming from nats-server 2.9, which has no QoS 2. */
export interface QosPolicy {
  /** Highest QoS granted to a subscription: 2, or 1 when QoS 2 subscriptions are downgraded. */
  readonly maxGrantedQos: QoS;
  /** Close clients that PUBLISH at QoS 2. */
  readonly rejectQos2Publish: boolean;
}

/** Everything a handler may use. Handlers keep nothing between calls. */
export interface HandlerContext {
  readonly instanceId: string;
  readonly connectionId: string;
  readonly remoteAddress: string;
  /** Null until CONNECT has been accepted. */
  readonly session: SessionRef | null;
  readonly sessions: SessionStore;
  readonly consumers: SessionConsumers;
  readonly leases: Leases;
  readonly bus: Bus;
  /** max_ack_pending of each consumer: a session's consumers may hold 65535 in all. */
  readonly maxAckPending: number;
  readonly qos2: Qos2Store;
  readonly policy: QosPolicy;
  readonly auth: AuthContext;
  readonly log: Logger;
}

/**
 * A handler: one packet in, effects out. It may await NATS, never touches sockets, timers or
 * module state. Returning a plain array lets hot paths skip a promise.
 */
export type Handler<P extends Packet = Packet> = (
  packet: P,
  ctx: HandlerContext,
) => Effect[] | Promise<Effect[]>;

/** Shared empty result: most QoS 0 publishes need nothing done. */
export const NO_EFFECTS: Effect[] = Object.freeze([]) as unknown as Effect[];

export const send = (packet: Packet): Effect => ({ kind: "send", packet });
export const close = (reason: string, graceful = false): Effect => ({
  kind: "close",
  reason,
  graceful,
});
/** Close for a protocol violation: no answer to the client, the reason in the log. */
export const violation = (reason: string): Effect => ({ kind: "close", reason, violation: true });
