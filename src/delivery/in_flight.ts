/** One QoS 1 PUBLISH sent and not yet acknowledged. */
export interface InFlightEntry {
  /** Where to acknowledge it in JetStream; null for messages that were never stored. */
  readonly reply: string | null;
  readonly streamSeq: number;
}

const MAX_ID = 65535;

/**
 * A stored message's packet identifier, computed from its stream sequence: whichever instance
 * sends it again after a reconnect uses the same identifier [MQTT-4.4.0-1] without having to
 * share a table with the instance that sent it first.
 */
export const storedPacketId = (streamSeq: number): number => ((streamSeq - 1) % MAX_ID) + 1;

/** The packet identifiers of one connection's unacknowledged QoS 1 deliveries. */
export class InFlight {
  #byId = new Map<number, InFlightEntry>();
  #next = 0;

  get size(): number {
    return this.#byId.size;
  }

  /**
   * Takes the identifier of a stored message; null when an older message still holds it (it is
   * sent once that one is acknowledged and JetStream redelivers it).
   */
  takeStored(streamSeq: number, reply: string): number | null {
    const id = storedPacketId(streamSeq);
    const held = this.#byId.get(id);
    if (held && held.streamSeq !== streamSeq) return null;
    this.#byId.set(id, { reply, streamSeq });
    return id;
  }

  /** Takes the next free identifier for a message that was never stored; null when all are taken. */
  takeFree(): number | null {
    if (this.#byId.size >= MAX_ID) return null;
    do this.#next = (this.#next % MAX_ID) + 1; while (this.#byId.has(this.#next));
    this.#byId.set(this.#next, { reply: null, streamSeq: 0 });
    return this.#next;
  }

  /** The client acknowledged `id`: returns what was in flight under it. */
  release(id: number): InFlightEntry | undefined {
    const entry = this.#byId.get(id);
    this.#byId.delete(id);
    return entry;
  }
}
