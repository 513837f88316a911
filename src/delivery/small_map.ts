/** Past this many entries a SmallMap keeps them in a Map. */
const LINEAR_LIMIT = 8;

/**
 * A Map for the few entries a client usually has (its filters, their subjects): up to eight
 * kept in one array and found by a scan, as fast as a hash at that size, then in a Map. A JSC
 * Map with one entry takes about 256 bytes; a connection with one subscription holds three, and
 * a fleet of devices on a topic each has them by the ten thousand.
 */
export class SmallMap<K, V> implements ReadonlyMap<K, V> {
  /** Keys and values in turn (one array, not two: an array is ~50 bytes however small). */
  #items: unknown[] = [];
  #map: Map<K, V> | null = null;

  get size(): number {
    return this.#map ? this.#map.size : this.#items.length >> 1;
  }

  get(key: K): V | undefined {
    if (this.#map) return this.#map.get(key);
    const i = this.#find(key);
    return i < 0 ? undefined : this.#items[i + 1] as V;
  }

  has(key: K): boolean {
    return this.#map ? this.#map.has(key) : this.#find(key) >= 0;
  }

  set(key: K, value: V): this {
    if (this.#map) {
      this.#map.set(key, value);
      return this;
    }
    const i = this.#find(key);
    if (i >= 0) {
      this.#items[i + 1] = value;
    } else if (this.#items.length < 2 * LINEAR_LIMIT) {
      this.#items.push(key, value);
    } else {
      this.#map = new Map(this.entries());
      this.#map.set(key, value);
      this.#items = [];
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.#map) return this.#map.delete(key);
    const i = this.#find(key);
    if (i < 0) return false;
    this.#items.splice(i, 2);
    return true;
  }

  *entries(): MapIterator<[K, V]> {
    if (this.#map) return yield* this.#map.entries();
    const items = this.#items;
    for (let i = 0; i < items.length; i += 2) yield [items[i] as K, items[i + 1] as V];
  }

  *keys(): MapIterator<K> {
    if (this.#map) return yield* this.#map.keys();
    const items = this.#items;
    for (let i = 0; i < items.length; i += 2) yield items[i] as K;
  }

  *values(): MapIterator<V> {
    if (this.#map) return yield* this.#map.values();
    const items = this.#items;
    for (let i = 1; i < items.length; i += 2) yield items[i] as V;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  /** Index of `key` among the items (SameValueZero, as a Map's), or -1. */
  #find(key: K): number {
    const items = this.#items;
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (k === key || (k !== k && key !== key)) return i;
    }
    return -1;
  }
}
