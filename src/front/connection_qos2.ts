import type { Qos2Port } from "../../handlers/ports.ts";
import type { HeldMessage, Release, SessionRef } from "../mqtt/session.ts";

/**
 * Payload bytes (as held, base64) a connection keeps in memory at most; past them it holds in
 * KV, as a persistent session does, for the rest of its life — under a key of its own, so that
 * nothing of it can reach another connection of the client id, and removed when it ends.
 */
const MAX_HELD_BYTES = 16 * 1024 * 1024;

/** Release message ids unique to this process: no other store within JetStream's window has one. */
const PROCESS = crypto.randomUUID().slice(0, 12);
let released = 0;

/**
 * Inbound QoS 2 state of a session that ends with its connection (jetmq's clean session): held in
 * the connection from PUBLISH to PUBREL instead of in KV, since the specification discards it
 * with the connection [MQTT-3.1.2-6] — three JetStream calls fewer per message (hold, read,
 * forget); the release is stored as always. Everything else goes to the store.
 */
export class ConnectionQos2 implements Qos2Port {
  #held: Map<number, HeldMessage> | null = null;
  #bytes = 0;
  /** Over the bound once: every hold goes to KV from then on, so duplicates are found there. */
  #inStore = false;

  constructor(
    readonly store: Qos2Port,
    readonly sessionKey: string,
    readonly connectionId: string,
    readonly maxBytes = MAX_HELD_BYTES,
  ) {}

  /** Where this connection's overflow is kept in KV (made when needed: most never overflow). */
  get #storeKey(): string {
    return `${this.sessionKey}-${this.connectionId}`;
  }

  hold(_key: string, packetId: number, message: HeldMessage): Promise<boolean> {
    const held = this.#held ??= new Map();
    if (held.has(packetId)) return Promise.resolve(false); // a duplicate [MQTT-4.3.3-2]
    if (this.#inStore || this.#bytes + message.payload.length > this.maxBytes) {
      this.#inStore = true;
      return this.store.hold(this.#storeKey, packetId, message);
    }
    held.set(packetId, message);
    this.#bytes += message.payload.length;
    return Promise.resolve(true);
  }

  held(_key: string, packetId: number): Promise<{ message: HeldMessage; msgId: string } | null> {
    const message = this.#held?.get(packetId);
    if (message) return Promise.resolve({ message, msgId: `q2.${PROCESS}.${++released}` });
    return this.#inStore ? this.store.held(this.#storeKey, packetId) : Promise.resolve(null);
  }

  forget(_key: string, packetId: number): Promise<void> {
    const message = this.#held?.get(packetId);
    if (!message) {
      return this.#inStore ? this.store.forget(this.#storeKey, packetId) : Promise.resolve();
    }
    this.#held?.delete(packetId);
    this.#bytes -= message.payload.length;
    return Promise.resolve();
  }

  /** The connection's end: what it holds goes with it [MQTT-3.1.2-6]. */
  discard(_key: string): Promise<void> {
    this.#held = null;
    this.#bytes = 0;
    return this.#inStore ? this.store.discard(this.#storeKey) : Promise.resolve();
  }

  pendingReleases(key: string): Promise<Release[]> {
    return this.store.pendingReleases(key);
  }
}

/**
 * The QoS 2 port of a connection's handlers: its own for a session that ends with it, the
 * instance's store (KV) for any other.
 */
export function qos2PortFor(store: Qos2Port, session: SessionRef, connectionId: string): Qos2Port {
  return session.clean ? new ConnectionQos2(store, session.key, connectionId) : store;
}
