import { deadlines, type Due } from "./deadline_wheel.ts";

/**
 * The two clocks of a connection: CONNECT must arrive within the connect timeout, then some
 * packet at least every 1.5 × keepalive [MQTT-3.1.2-24]. One place on the deadline wheel,
 * moved only when it comes due: no timer churn per packet.
 */
export class Liveness implements Due {
  slot = -1;
  #lastSeen = Date.now();
  /** 0 while waiting for CONNECT; then 1.5 × keepalive, or 0 with the check off. */
  #limitMs = 0;
  #connectMs = 0;

  constructor(readonly owner: { expire(reason: string): void }) {}

  /** Until `connected()`, the connection has `ms` to send CONNECT. */
  awaitConnect(ms: number): void {
    this.#connectMs = ms;
    deadlines.schedule(this, Date.now() + ms);
  }

  /** CONNECT accepted with this keepalive (seconds; 0 turns the check off). */
  connected(keepaliveSeconds: number): void {
    this.#connectMs = 0;
    deadlines.cancel(this);
    if (keepaliveSeconds > 0) {
      this.#limitMs = keepaliveSeconds * 1500;
      deadlines.schedule(this, this.#lastSeen + this.#limitMs);
    }
  }

  /** Bytes arrived from the client. */
  seen(): void {
    this.#lastSeen = Date.now();
  }

  stop(): void {
    deadlines.cancel(this);
  }

  due(now: number): void {
    if (this.#connectMs > 0) {
      return this.owner.expire(`No CONNECT within ${this.#connectMs} ms`);
    }
    const idle = now - this.#lastSeen;
    if (idle >= this.#limitMs) {
      this.owner.expire(`Keepalive timeout: no packet for ${idle} ms (limit ${this.#limitMs} ms)`);
    } else deadlines.schedule(this, this.#lastSeen + this.#limitMs);
  }
}
