import type { Outgoing } from "../mqtt/packets.ts";
import type { NotStored } from "../../handlers/types.ts";

/** Stores one connection may have under way before it stops reading more. */
const MAX_OUTSTANDING = 1024;

/**
 * Packets that wait for work under way (PUBACKs for pipelined JetStream stores): the work runs
 * concurrently, the packets go out in the order they were added. Past MAX_OUTSTANDING, `add`
 * returns a promise the connection waits on: a client cannot pile up unbounded work.
 */
export class OrderedSends {
  #chain: Promise<void> = Promise.resolve();
  #outstanding = 0;

  constructor(
    readonly target: {
      send(packet: Outgoing): void;
      /** A store failed for good: what was acknowledged before it went out, now the end. */
      notStored(reason: string): void;
    },
  ) {}

  add(pending: Promise<Outgoing | NotStored | null>): void | Promise<void> {
    this.#outstanding++;
    this.#chain = this.#chain.then(async () => {
      const packet = await pending;
      this.#outstanding--;
      if (packet && "notStored" in packet) this.target.notStored(packet.notStored);
      else if (packet) this.target.send(packet);
    });
    if (this.#outstanding >= MAX_OUTSTANDING) return this.#chain;
  }

  /** Resolves once everything added so far was sent (or came to nothing). */
  settled(): Promise<void> {
    return this.#chain;
  }
}
