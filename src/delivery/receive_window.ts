/** Sends held back for a client's Receive Maximum at most; past it the client is closed. */
const MAX_WAITING = 65_535;

/**
 * An MQTT 5 client's Receive Maximum: no more QoS 1/2 PUBLISHes in flight to it than it said
 * [MQTT-3.3.4-9]. What comes meanwhile waits here, in order, until acknowledgements free room.
 */
export class ReceiveWindow {
  #waiting: Array<() => void> = [];

  constructor(readonly maximum: number, readonly inFlight: () => number) {}

  full(): boolean {
    return this.inFlight() >= this.maximum;
  }

  /** Holds `send` back; false when the backlog is full and the client cannot be served. */
  wait(send: () => void): boolean {
    if (this.#waiting.length >= MAX_WAITING) return false;
    this.#waiting.push(send);
    return true;
  }

  /** Room was freed: sends what waits, while there is room. */
  pump(): void {
    while (this.#waiting.length > 0 && !this.full()) this.#waiting.shift()?.();
  }
}
