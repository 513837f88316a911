/** The two links a member of a LinkedSet carries, for that set's use only. */
export interface Linked<T> {
  linkPrev: T | null;
  linkNext: T | null;
}

/**
 * The open connections of an instance: a set whose members carry its links (two fields each),
 * where a Set costs ~105 bytes per member — an instance holds them by the ten thousand.
 * Iterated in the order added, as a Set is (a drain sends the oldest away first), over a copy:
 * members come and go while the caller works on them (a shutdown ends each one it visits).
 */
export class LinkedSet<T extends Linked<T>> implements Iterable<T> {
  #head: T | null = null;
  #tail: T | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(item: T): boolean {
    return item.linkNext !== null || this.#tail === item;
  }

  add(item: T): void {
    if (this.has(item)) return;
    item.linkPrev = this.#tail;
    if (this.#tail) this.#tail.linkNext = item;
    else this.#head = item;
    this.#tail = item;
    this.#size++;
  }

  delete(item: T): boolean {
    if (!this.has(item)) return false;
    const { linkPrev: prev, linkNext: next } = item;
    if (prev) prev.linkNext = next;
    else this.#head = next;
    if (next) next.linkPrev = prev;
    else this.#tail = prev;
    item.linkPrev = null;
    item.linkNext = null;
    this.#size--;
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    const all: T[] = [];
    for (let item = this.#head; item; item = item.linkNext) all.push(item);
    return all[Symbol.iterator]();
  }
}
