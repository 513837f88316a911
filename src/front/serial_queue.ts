// Inbound backpressure: stop reading while this many items wait, resume at the lower mark.
const PAUSE_AT = 256;
const RESUME_AT = 64;

/** What the queue asks of its source when it fills up and drains. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** What runs the items; an item that throws or rejects is handed to `failedToRun`. */
export interface QueueWorker<T> {
  run(item: T): Promise<void> | void;
  failedToRun(item: T, err: unknown): void;
}

/**
 * Runs items one at a time in arrival order, each to completion (awaiting it) before the next,
 * and pauses the source while too many wait: per-connection ordering without unbounded memory.
 * An item that fails does not stop the queue: what follows (a connection's end) still runs.
 */
export class SerialQueue<T> {
  #items: T[] = [];
  #head = 0;
  #running = false;
  #paused = false;

  constructor(
    readonly flow: FlowControl,
    readonly worker: QueueWorker<T>,
  ) {}

  push(item: T): void {
    if (!this.#running && this.#head === this.#items.length) {
      // Nothing waits: run it now. A synchronous item (a QoS 0 PUBLISH) then costs no promise.
      this.#running = true;
      const pending = this.#run(item);
      if (pending || this.#head < this.#items.length) void this.#drain(item, pending);
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

  /** Runs `item`; a synchronous throw is its failure. */
  #run(item: T): Promise<void> | void {
    try {
      return this.worker.run(item);
    } catch (err) {
      this.worker.failedToRun(item, err);
    }
  }

  /** Runs what waits, one at a time, after `first` (an item still running) is done. */
  async #drain(first?: T, running?: Promise<void> | void): Promise<void> {
    this.#running = true;
    if (running) {
      try {
        await running;
      } catch (err) {
        this.worker.failedToRun(first as T, err);
      }
    }
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
      const pending = this.#run(item);
      if (!pending) continue;
      try {
        await pending;
      } catch (err) {
        this.worker.failedToRun(item, err);
      }
    }
    // Done with: an idle connection does not keep its CONNECT (and what hangs on it) forever.
    this.#items.length = 0;
    this.#head = 0;
    this.#running = false;
  }
}
