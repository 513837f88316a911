/** One QoS 1 or 2 PUBLISH sent and not yet acknowledged (or completed, for QoS 2). */
export interface InFlightEntry {
  /** Where to acknowledge it in JetStream; null for messages that were never stored. */
  readonly reply: string | null;
  readonly streamSeq: number;
  readonly qos: 1 | 2;
  /** QoS 2: the client sent PUBREC; only PUBREL goes out for it from now on. */
  released: boolean;
  /**
   * From a shared subscription's group consumer: handed back to the group (another member)
   * when the connection ends unacknowledged.
   */
  readonly shared?: true;
}

const MAX_ID = 65535;

/**
 * A stored message's packet identifier, computed from its stream sequence: whichever instance
 * sends it again after a reconnect uses the same identifier [MQTT-4.4.0-1] without having to
 * share a table with the instance that sent it first.
 */
export const storedPacketId = (streamSeq: number): number => ((streamSeq - 1) % MAX_ID) + 1;

/** The packet identifiers of one connection's unfinished QoS 1 and 2 deliveries. */
export class InFlight {
  #byId = new Map<number, InFlightEntry>();
  #next = 0;
  #shared = 0;

  get size(): number {
    return this.#byId.size;
  }

  /** Entries of shared subscriptions' messages. */
  get sharedSize(): number {
    return this.#shared;
  }

  #set(id: number, entry: InFlightEntry): void {
    if (this.#byId.get(id)?.shared) this.#shared--;
    if (entry.shared) this.#shared++;
    this.#byId.set(id, entry);
  }

  get(id: number): InFlightEntry | undefined {
    return this.#byId.get(id);
  }

  /**
   * Takes the identifier of a stored message; null when an older message still holds it (it is
   * sent once that one is done and JetStream redelivers it).
   */
  takeStored(streamSeq: number, reply: string, qos: 1 | 2): number | null {
    const id = storedPacketId(streamSeq);
    const held = this.#byId.get(id);
    // Another message's, or the same one's through a shared subscription: not this one's.
    if (held && (held.streamSeq !== streamSeq || held.shared)) return null;
    this.#set(id, { reply, streamSeq, qos, released: false });
    return id;
  }

  /** Takes the next free identifier for a message that was never stored; null when all are taken. */
  takeFree(qos: 1 | 2): number | null {
    if (this.#byId.size >= MAX_ID) return null;
    do this.#next = (this.#next % MAX_ID) + 1; while (this.#byId.has(this.#next));
    this.#set(this.#next, { reply: null, streamSeq: 0, qos, released: false });
    return this.#next;
  }

  /**
   * Takes the next free identifier for a shared subscription's message (a message another
   * member may have had before, so not the stored one's own identifier).
   */
  takeShared(reply: string | null, streamSeq: number, qos: 1 | 2): number | null {
    const id = this.takeFree(qos);
    if (id !== null) this.#set(id, { reply, streamSeq, qos, released: false, shared: true });
    return id;
  }

  /**
   * Shared QoS 1 messages still unacknowledged: what the group gets back when the connection
   * ends. (A shared QoS 2 message is the session's, not the group's, once sent.)
   */
  *sharedPending(): Iterable<InFlightEntry> {
    for (const e of this.#byId.values()) if (e.shared && e.reply && e.qos === 1) yield e;
  }

  /** A shared QoS 2 message this session owns, sent and not received yet (also on resume). */
  restorePublished(id: number, streamSeq: number): void {
    this.#set(id, { reply: null, streamSeq, qos: 2, released: false, shared: true });
  }

  /** A QoS 2 delivery released before the client reconnected: only PUBREL is owed. */
  restoreReleased(id: number, streamSeq: number): void {
    this.#set(id, { reply: null, streamSeq, qos: 2, released: true });
  }

  /** The delivery under `id` is finished: returns what was in flight under it. */
  release(id: number): InFlightEntry | undefined {
    const entry = this.#byId.get(id);
    if (entry?.shared) this.#shared--;
    this.#byId.delete(id);
    return entry;
  }
}
