import type { MessageProps } from "../src/mqtt/message_props.ts";
import type { AuthResult, Credentials } from "../src/auth/authenticator.ts";
import type { Throttled } from "../src/auth/login_throttle.ts";
import type { ClaimResult, HeldMessage, QoS, Release, SessionRecord } from "../src/mqtt/session.ts";

// What handlers need of the world around them, and nothing more: the store, the message bus, the
// other instances. src/nats implements each of these; tests may hand in their own.

/** Session records, every write a compare-and-set (src/nats/sessions.ts has the contract). */
export interface SessionStorePort {
  /** The key a client id's session is stored under. */
  keyOf(clientId: string): string;
  get(key: string): Promise<SessionRecord | null>;
  /** `likelyNew`: try creating the record first (a clean session, often a random client id). */
  claim(
    key: string,
    build: (previous: SessionRecord | null) => SessionRecord | null,
    likelyNew?: boolean,
  ): Promise<ClaimResult | null>;
  update(
    key: string,
    connection: string,
    change: (record: SessionRecord) => SessionRecord,
  ): Promise<SessionRecord | null>;
  release(key: string, connection: string): Promise<SessionRecord | null>;
  take(
    key: string,
    owns: (record: SessionRecord) => boolean,
    change: (record: SessionRecord) => SessionRecord | null,
  ): Promise<SessionRecord | null>;
}

/**
 * The durable consumers that queue a persistent session's QoS 1/2 messages, per subject; and
 * the groups of shared subscriptions, with the consumers that queue each group's.
 */
export interface ConsumerPort {
  ensure(key: string, subject: string): Promise<void>;
  remove(key: string, subject: string): Promise<void>;
  /**
   * Session `key` joins the group of `shared` (`$share/{ShareName}/{filter}`); `owner` is the
   * connection holding it (connectionOwner) when the session ends with that connection, null
   * when it is persistent.
   */
  joinShare(
    shared: string,
    subjects: readonly string[],
    key: string,
    owner: string | null,
  ): Promise<void>;
  /** Leaves the group; with `owner`, only while that connection is the member listed. */
  leaveShare(shared: string, key: string, owner: string | null): Promise<void>;
  /** The members whose session ended with a dead instance leave their groups. */
  shareMembersLost(instance: string): Promise<number>;
}

/**
 * Which sessions with a will each instance serves, so a survivor can publish them; and which
 * wills wait for a delay, so that whichever instance is alive when it passes publishes them.
 */
export interface WillIndexPort {
  hasWill(instanceId: string, key: string): Promise<void>;
  willGone(instanceId: string, key: string): Promise<void>;
  sessionsWithWill(instanceId: string): Promise<string[]>;
  /** Session `key`'s will is due at `at` (ms since the epoch) unless the session resumes. */
  delayWill(key: string, at: number): Promise<void>;
  /** Removes session `key`'s timer; with `at`, only if that is still its time. */
  delayedGone(key: string, at?: number): Promise<void>;
}

/** Messages out: to NATS subscribers, into the messages stream, as retained. */
export interface PublisherPort {
  /** Largest payload NATS accepts. */
  readonly maxPayload: number;
  publish(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    stored?: boolean,
    props?: MessageProps | null,
  ): void;
  /** Resolves to the stream sequence once stored; `msgId` makes a retried store count once. */
  store(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    msgId?: string,
    props?: MessageProps | null,
  ): Promise<number>;
  retain(
    subject: string,
    payload: Uint8Array,
    qos: QoS,
    props?: MessageProps | null,
  ): Promise<number>;
  /** Acknowledges a stored message a consumer delivered, by its acknowledgement subject. */
  ack(reply: string): void;
}

/** Tells the instance holding a session that a newer connection claimed it. */
export interface TakeoverPort {
  /** How long one notice waits for its answer; one that took longer is worth a log line. */
  readonly waitMs: number;
  /**
   * Resolves once that instance's connection receives nothing more: "released", or "drained"
   * when the connection was already being sent away by a drain (its will waits for the client
   * to come back, which is now); "gone" when nobody listens for the instance, or it stayed
   * silent however often it was asked.
   */
  notify(
    instanceId: string,
    key: string,
    generation: number,
  ): Promise<"released" | "drained" | "gone">;
}

/** QoS 2 state that outlives connections and instances. */
export interface Qos2Port {
  /** Keeps the message under (session, id) unless something is there; true when it was new. */
  hold(key: string, packetId: number, message: HeldMessage): Promise<boolean>;
  /** The held message with the message id that stores its release once, or null. */
  held(key: string, packetId: number): Promise<{ message: HeldMessage; msgId: string } | null>;
  forget(key: string, packetId: number): Promise<void>;
  /** Forgets all QoS 2 state of a session (a clean start). */
  discard(key: string): Promise<void>;
  /** The session's deliveries awaiting PUBCOMP, oldest first. */
  pendingReleases(key: string): Promise<Release[]>;
}

/** Who may come in: credentials, the per-address guard, the connection counts. */
export interface AdmissionPort {
  authenticate(credentials: Credentials): Promise<AuthResult>;
  /** Why a CONNECT from `address` is over its rate (connect_rate) and closed, or null. */
  overRate(address: string, now: number): string | null;
  /** Null when the login of `user` from `address` may be checked now, else how long to wait. */
  throttled(address: string, user: string | undefined, now: number): Throttled | null;
  failed(address: string, user: string | undefined, now: number): void;
  succeeded(address: string, user: string | undefined, now: number): void;
  /** Live connections of this instance: in all, and of the user `name`. */
  connections(name: string | null): { readonly total: number; readonly ofUser: number };
}
