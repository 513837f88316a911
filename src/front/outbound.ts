import type { Transport } from "../runtime/types.ts";

/**
 * Pending bytes that are written at once rather than at the end of the turn. A write of 64 KiB
 * costs about what one of a MiB does per byte, and a turn that fans out thousands of messages
 * to one client (one 512 KiB read of a publisher is ~6,000 of them) would otherwise keep every
 * encoded frame alive until the turn ends: the garbage collector, running meanwhile, promotes
 * them to the old generation, where they stay until a full collection (the bench's QoS 0
 * fan-in peaked at 124–132 MB when the bound was max_pending_bytes, 1 MiB; 118–124 MB with
 * this alone; throughput the same).
 */
const WRITE_AT = 64 * 1024;

/**
 * Bytes on their way to one client. Everything written in one turn of the event loop goes to
 * the socket in one write, or one per 64 KiB: a NATS read that fans out hundreds of messages
 * costs one syscall per client, not hundreds. Bounded: past `maxPending` droppable messages
 * (QoS 0) are dropped and counted, and past four times that the reader is too slow to keep.
 */
export class Outbound {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  /** The socket took less than offered; nothing more until it drains. */
  #blocked = false;
  #ending = false;
  #closed = false;
  /** Who waits for the reader (made for the first: most connections never have one). */
  #waiters: Array<() => void> | null = null;
  dropped = 0;

  constructor(
    readonly transport: Transport,
    readonly maxPending: number,
    /** Told when the reader is too slow to keep: past four times `maxPending`. */
    readonly owner: { overflow(): void },
  ) {}

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Returns false when the bytes were dropped. */
  write(bytes: Uint8Array, droppable: boolean): boolean {
    if (this.#closed || this.#ending) return false;
    // Only bytes the socket refused count against the reader: a big tick is not a slow reader.
    if (droppable && this.#blocked && this.#pendingBytes >= this.maxPending) {
      this.dropped++;
      return false;
    }
    if (this.#pendingBytes >= 4 * this.maxPending) {
      this.owner.overflow();
      return false;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (!this.#blocked && this.#pendingBytes >= Math.min(WRITE_AT, this.maxPending)) this.flush();
    else if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      // After this turn's I/O callbacks and promise reactions: PUBACKs resolved one by one
      // and messages fanned out of one NATS read all leave in one write.
      setImmediate(flushLater, this);
    }
    return true;
  }

  /** Resolves when the client is reading: nothing refused by the socket is waiting. */
  writable(): Promise<void> {
    if (!this.#blocked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** The socket can take more. */
  drain(): void {
    this.#blocked = false;
    this.flush();
  }

  /** Ends the socket once what is pending is written; `discard` drops it first. */
  end(discard = false): void {
    if (this.#ending) return;
    this.#ending = true;
    if (discard) {
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (this.#pendingBytes === 0) this.#finish();
  }

  /** Writes what is pending, if the socket takes it (at the end of a turn: see `flushLater`). */
  flush(): void {
    this.#scheduled = false;
    if (this.#blocked || this.#closed || this.#pendingBytes === 0) return;
    const chunk = this.#pending.length === 1
      ? this.#pending[0] as Uint8Array
      : Buffer.concat(this.#pending, this.#pendingBytes);
    const n = this.transport.write(chunk);
    if (n < 0) {
      this.#closed = true;
      this.#wake();
      return;
    }
    this.#pending = n === chunk.length ? [] : [chunk.subarray(n)];
    this.#pendingBytes = chunk.length - n;
    // A WebSocket takes everything and queues it: past the bound, that queue is the backlog.
    if (this.#pendingBytes > 0 || (this.transport.buffered?.() ?? 0) >= this.maxPending) {
      this.#blocked = true;
      return;
    }
    if (this.#ending) this.#finish();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (!waiters) return;
    this.#waiters = null;
    for (const w of waiters) w();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.end();
    this.#wake();
  }
}

/** The end-of-turn write, one function for every connection. */
function flushLater(out: Outbound): void {
  out.flush();
}
