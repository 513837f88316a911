// Inbound backpressure: stop reading while this many items wait, resume at the lower mark.
const PAUSE_AT = 256;
const RESUME_AT = 64;

/** What the queue asks of its source when it fills up and drains. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/**
 * Runs items one at a time in arrival order, each to completion (awaiting it) before the next,
 * and pauses the source while too many wait: per-connection ordering without unbounded memory.
 */
export class SerialQueue<T> {
  #items: T[] = [];
  #head = 0;
  #running = false;
  #paused = false;

  constructor(
    readonly flow: FlowControl,
    readonly worker: { run(item: T): Promise<void> | void },
  ) {}

  push(item: T): void {
    if (!this.#running && this.#head === this.#items.length) {
      // Nothing waits: run it now. A synchronous item (a QoS 0 PUBLISH) then costs no promise.
      this.#running = true;
      let pending: Promise<void> | void;
      try {
        pending = this.worker.run(item);
      } catch (err) {
        this.#running = false;
        throw err;
      }
      if (pending || this.#head < this.#items.length) void this.#drain(pending);
      else this.#running = false;
      return;
    }
    this.#items.push(item);
    if (!this.#paused && this.#items.length - this.#head >= PAUSE_AT) {
      this.#paused = true;
      this.flow.pause();
    }
    if (!this.#running) void this.#drain();
  }

  /** Runs what waits, one at a time, after `first` (an item still running) is done. */
  async #drain(first?: Promise<void> | void): Promise<void> {
    this.#running = true;
    if (first) await first;
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head++] as T;
      if (this.#head > 1024) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (this.#paused && this.#items.length - this.#head <= RESUME_AT) {
        this.#paused = false;
        this.flow.resume();
      }
      const pending = this.worker.run(item);
      if (pending) await pending;
    }
    // Done with: an idle connection does not keep its CONNECT (and what hangs on it) forever.
    this.#items.length = 0;
    this.#head = 0;
    this.#running = false;
  }
}
