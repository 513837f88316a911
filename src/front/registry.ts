/** What the registry needs of a connection. */
export interface Bindable {
  readonly session: { readonly key: string; readonly generation: number } | null;
  /** True while a drain is sending the connection away. */
  readonly sentAway: boolean;
  takenOver(): void;
}

/**
 * The connections of this instance by session key. Only the newest claim of a client id stays:
 * an older one, here or announced by another instance, is told it was taken over.
 */
export class Registry<C extends Bindable = Bindable> {
  #byKey = new Map<string, C>();
  /**
   * Sessions whose connection a drain sent away, with its generation: a takeover notice may
   * arrive after that connection has ended (it lost the race to write its session down), and
   * must still learn that its end was a drain's, not a crash.
   */
  #sentAway = new Map<string, { generation: number; until: number }>();

  constructor(readonly rememberMs = 60_000) {}

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): C | undefined {
    return this.#byKey.get(key);
  }

  bind(conn: C): void {
    const key = conn.session?.key;
    if (key === undefined) return;
    const current = this.#byKey.get(key);
    if (current && current !== conn) {
      if ((current.session?.generation ?? 0) > (conn.session?.generation ?? 0)) {
        conn.takenOver();
        return;
      }
      current.takenOver();
    }
    this.#byKey.set(key, conn);
  }

  unbind(conn: C): void {
    const key = conn.session?.key;
    if (key === undefined) return;
    if (this.#byKey.get(key) === conn) this.#byKey.delete(key);
    if (conn.sentAway) this.#rememberSentAway(key, conn.session?.generation ?? 0);
  }

  /**
   * A claim with `generation` was made for `key` somewhere. Returns whether the connection it
   * closes here was being sent away by a drain (still registered until it has ended).
   */
  takeover(key: string, generation: number): boolean {
    const current = this.#byKey.get(key);
    if (!current) {
      const gone = this.#sentAway.get(key);
      return gone !== undefined && gone.generation < generation && gone.until >= Date.now();
    }
    if ((current.session?.generation ?? 0) >= generation) return false;
    this.#byKey.delete(key);
    const drained = current.sentAway;
    // A notice asked again (its first answer was late) gets the same answer.
    if (drained) this.#rememberSentAway(key, current.session?.generation ?? 0);
    current.takenOver();
    return drained;
  }

  #rememberSentAway(key: string, generation: number): void {
    const now = Date.now();
    // Kept in insertion order, all with one lifetime: the expired ones are at the front.
    this.#sentAway.delete(key);
    this.#sentAway.set(key, { generation, until: now + this.rememberMs });
    for (const [k, v] of this.#sentAway) {
      if (v.until >= now) break;
      this.#sentAway.delete(k);
    }
  }

  values(): IterableIterator<C> {
    return this.#byKey.values();
  }
}
