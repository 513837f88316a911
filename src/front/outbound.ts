import type { Transport } from "./transport.ts";

/**
 * Bytes waiting for a slow socket, bounded: past `maxPending` droppable messages (QoS 0) are
 * dropped and counted, and past four times that the reader is too slow to keep.
 */
export class Outbound {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #ending = false;
  #closed = false;
  dropped = 0;

  constructor(
    readonly transport: Transport,
    readonly maxPending: number,
    readonly onOverflow: () => void,
  ) {}

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Returns false when the bytes were dropped. */
  write(bytes: Uint8Array, droppable: boolean): boolean {
    if (this.#closed || this.#ending) return false;
    if (this.#pendingBytes === 0) {
      const n = this.transport.write(bytes);
      if (n === bytes.length) return true;
      if (n < 0) {
        this.#closed = true;
        return false;
      }
      this.#queue(n === 0 ? bytes : bytes.subarray(n));
      return true;
    }
    if (droppable && this.#pendingBytes >= this.maxPending) {
      this.dropped++;
      return false;
    }
    if (this.#pendingBytes >= 4 * this.maxPending) {
      this.onOverflow();
      return false;
    }
    this.#queue(bytes);
    return true;
  }

  /** The socket can take more. */
  drain(): void {
    while (this.#pending.length > 0 && !this.#closed) {
      const chunk = this.#pending.length === 1
        ? this.#pending[0] as Uint8Array
        : Buffer.concat(this.#pending, this.#pendingBytes);
      const n = this.transport.write(chunk);
      if (n < 0) {
        this.#closed = true;
        break;
      }
      this.#pending = n === chunk.length ? [] : [chunk.subarray(n)];
      this.#pendingBytes = chunk.length - n;
      if (n < chunk.length) return;
    }
    if (this.#ending && this.#pendingBytes === 0) this.#finish();
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

  #queue(bytes: Uint8Array): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.end();
  }
}
