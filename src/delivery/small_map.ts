/** Past this many entries a SmallMap keeps them in a Map. */
const LINEAR_LIMIT = 8;

/**
 * A Map for the few entries a client usually has (its filters, their subjects): up to eight
 * kept in two arrays and found by a scan, as fast as a hash at that size, then in a Map. A JSC
 * Map with one entry takes about 256 bytes; a connection with one subscription holds three, and
 * a fleet of devices on a topic each has them by the ten thousand.
 */
export class SmallMap<K, V> implements ReadonlyMap<K, V> {
  #keys: K[] = [];
  #values: V[] = [];
  #map: Map<K, V> | null = null;

  get size(): number {
    return this.#map ? this.#map.size : this.#keys.length;
  }

  get(key: K): V | undefined {
    if (this.#map) return this.#map.get(key);
    const i = this.#keys.indexOf(key);
    return i < 0 ? undefined : this.#values[i];
  }

  has(key: K): boolean {
    return this.#map ? this.#map.has(key) : this.#keys.includes(key);
  }

  set(key: K, value: V): this {
    if (this.#map) {
      this.#map.set(key, value);
      return this;
    }
    const i = this.#keys.indexOf(key);
    if (i >= 0) {
      this.#values[i] = value;
    } else if (this.#keys.length < LINEAR_LIMIT) {
      this.#keys.push(key);
      this.#values.push(value);
    } else {
      this.#map = new Map(this.entries());
      this.#map.set(key, value);
      this.#keys = [];
      this.#values = [];
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.#map) return this.#map.delete(key);
    const i = this.#keys.indexOf(key);
    if (i < 0) return false;
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
    return true;
  }

  *entries(): MapIterator<[K, V]> {
    if (this.#map) return yield* this.#map.entries();
    for (let i = 0; i < this.#keys.length; i++) {
      yield [this.#keys[i] as K, this.#values[i] as V];
    }
  }

  keys(): MapIterator<K> {
    return this.#map ? this.#map.keys() : this.#keys.values();
  }

  values(): MapIterator<V> {
    return this.#map ? this.#map.values() : this.#values.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
