import type { Preface, PrefaceDecision } from "./types.ts";

/** Collects a connection's first bytes until its preface reader decides what they are. */
export class PrefaceBuffer {
  #bytes: Uint8Array = new Uint8Array(0);

  constructor(readonly preface: Preface, readonly peerAddress: string) {}

  /** Adds bytes; once the reader decides, its decision and the bytes after the preface. */
  push(chunk: Uint8Array): { decision: PrefaceDecision; rest: Uint8Array } | null {
    const all = new Uint8Array(this.#bytes.length + chunk.length);
    all.set(this.#bytes);
    all.set(chunk, this.#bytes.length);
    this.#bytes = all;
    const decision = this.preface.read(all, this.peerAddress);
    if (!decision) return null;
    const rest = "length" in decision ? all.subarray(decision.length) : new Uint8Array(0);
    this.#bytes = new Uint8Array(0);
    return { decision, rest };
  }
}
