/**
 * The two clocks of a connection: CONNECT must arrive within the connect timeout, then some
 * packet at least every 1.5 × keepalive [MQTT-3.1.2-24]. One timer, re-armed only when it
 * fires: no timer churn per packet.
 */
export class Liveness {
  #lastSeen = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly owner: { expire(reason: string): void }) {}

  /** Until `connected()`, the connection has `ms` to send CONNECT. */
  awaitConnect(ms: number): void {
    this.#timer = setTimeout(() => this.owner.expire(`No CONNECT within ${ms} ms`), ms);
  }

  /** CONNECT accepted with this keepalive (seconds; 0 turns the check off). */
  connected(keepaliveSeconds: number): void {
    clearTimeout(this.#timer);
    if (keepaliveSeconds > 0) this.#arm(keepaliveSeconds * 1500);
  }

  /** Bytes arrived from the client. */
  seen(): void {
    this.#lastSeen = Date.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #arm(limitMs: number, delay = limitMs): void {
    this.#timer = setTimeout(() => {
      const idle = Date.now() - this.#lastSeen;
      if (idle >= limitMs) {
        this.owner.expire(`Keepalive timeout: no packet for ${idle} ms (limit ${limitMs} ms)`);
      } else this.#arm(limitMs, limitMs - idle);
    }, delay);
  }
}
