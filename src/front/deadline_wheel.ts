/** Something with a deadline on the wheel. */
export interface Due {
  /** The wheel's slot it waits in; -1 when it waits in none. */
  slot: number;
  /** The deadline has passed: `now` is the wheel's clock at the tick. */
  due(now: number): void;
}

const TICK_MS = 250;

/**
 * Deadlines of many connections on one interval timer: per connection a place in a set instead
 * of a runtime timer made and cleared on every CONNECT and close (a few percent of a connection
 * storm's time, and memory per idle connection). Deadlines come due on the first tick after them:
 * up to a quarter of a second late, which keepalive and CONNECT timeouts do not notice.
 */
export class DeadlineWheel {
  #slots = new Map<number, Set<Due>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  /** The last slot whose deadlines were dealt with. */
  #done = 0;

  /** `item` comes due at `at` (ms since the epoch), instead of whenever it did before. */
  schedule(item: Due, at: number): void {
    this.cancel(item);
    if (!this.#timer) {
      this.#done = Math.floor(Date.now() / TICK_MS) - 1;
      this.#timer = setInterval(this.#tick, TICK_MS);
      this.#timer.unref?.();
    }
    const slot = Math.max(this.#done + 1, Math.ceil(at / TICK_MS));
    let set = this.#slots.get(slot);
    if (!set) this.#slots.set(slot, set = new Set());
    set.add(item);
    item.slot = slot;
  }

  cancel(item: Due): void {
    if (item.slot < 0) return;
    const set = this.#slots.get(item.slot);
    set?.delete(item);
    if (set?.size === 0) this.#slots.delete(item.slot);
    item.slot = -1;
  }

  #tick = (): void => {
    const now = Date.now();
    const upTo = Math.floor(now / TICK_MS);
    for (let s = this.#done + 1; s <= upTo; s++) {
      const set = this.#slots.get(s);
      if (!set) continue;
      this.#slots.delete(s);
      for (const item of set) {
        item.slot = -1;
        item.due(now);
      }
    }
    this.#done = upTo;
    if (this.#slots.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  };
}

/** The process's wheel: like the runtime's own timers, one for everything in it. */
export const deadlines = new DeadlineWheel();
