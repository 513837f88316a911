import type { Outgoing } from "../mqtt/packets.ts";
import type { NotStored } from "../../handlers/types.ts";
import { describeError } from "../errors.ts";

/** Stores one connection may have under way before it stops reading more. */
const MAX_OUTSTANDING = 1024;

/** Sent entries at the front of the queue past which it is shortened (amortised, not per send). */
const COMPACT_AT = 256;

type Result = Outgoing | NotStored | null;

/** A result not in yet. */
const WAITING = Symbol("waiting");

const SETTLED: Promise<void> = Promise.resolve();

/**
 * Packets that wait for work under way (PUBACKs for pipelined JetStream stores): the work runs
 * concurrently, the packets go out in the order they were added. Past MAX_OUTSTANDING, `add`
 * returns a promise the connection waits on: a client cannot pile up unbounded work.
 *
 * The results wait in one queue, sent from its front as soon as they are in: per packet one
 * reaction to its promise, where a chain of promises made three (a QoS 1 publisher at thousands
 * a second makes that garbage, and the collections it causes are its slowest deliveries).
 */
export class OrderedSends {
  /** Results in the order added, from the oldest not sent yet (at `#head`). */
  #results: Array<Result | typeof WAITING> = [];
  #head = 0;
  /** Sequence number of `#results[0]`. */
  #first = 0;
  #added = 0;
  #onSettled: Array<() => void> | null = null;

  constructor(
    readonly target: {
      send(packet: Outgoing): void;
      /** A store failed for good: what was acknowledged before it went out, now the end. */
      notStored(reason: string): void;
    },
  ) {}

  add(pending: Promise<Result>): void | Promise<void> {
    const seq = this.#added++;
    this.#results.push(WAITING);
    pending.then(
      (result) => this.#arrived(seq, result),
      // Handlers turn failures into NotStored; one that did not still ends the connection.
      (err) =>
        this.#arrived(seq, { notStored: `Store failed: ${String(describeError(err).message)}` }),
    );
    if (this.#results.length - this.#head >= MAX_OUTSTANDING) return this.settled();
  }

  /** Resolves once everything added so far was sent (or came to nothing). */
  settled(): Promise<void> {
    if (this.#head === this.#results.length) return SETTLED;
    return new Promise((resolve) => (this.#onSettled ??= []).push(resolve));
  }

  #arrived(seq: number, result: Result): void {
    const results = this.#results;
    results[seq - this.#first] = result;
    while (this.#head < results.length && results[this.#head] !== WAITING) {
      const r = results[this.#head] as Result;
      results[this.#head++] = null;
      if (r && "notStored" in r) this.target.notStored(r.notStored);
      else if (r) this.target.send(r);
    }
    const head = this.#head;
    if (head === results.length) {
      this.#first += head;
      this.#head = 0;
      results.length = 0;
      const waiting = this.#onSettled;
      this.#onSettled = null;
      if (waiting) { for (const resolve of waiting) resolve(); }
    } else if (head >= COMPACT_AT) {
      results.splice(0, head);
      this.#first += head;
      this.#head = 0;
    }
  }
}
