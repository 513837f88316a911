import type { Grant } from "../../handlers/types.ts";
import type { QoS } from "../nats/sessions.ts";

/** A connection's granted filters, and what follows from them for delivery. */
export class GrantSet {
  #grants = new Map<string, Grant>();
  /** Plain subject → highest QoS granted on it. */
  #patternQos = new Map<string, QoS>();

  get grants(): ReadonlyMap<string, Grant> {
    return this.#grants;
  }

  add(grants: readonly Grant[]): void {
    for (const g of grants) this.#grants.set(g.filter, g);
    this.#recompute();
  }

  remove(filters: readonly string[]): void {
    for (const f of filters) this.#grants.delete(f);
    this.#recompute();
  }

  /** Highest QoS granted on a plain subject pattern. */
  qosOf(pattern: string): QoS {
    return this.#patternQos.get(pattern) ?? 0;
  }

  /** Some filter has QoS 1 or 2. */
  get anyAboveQos0(): boolean {
    for (const g of this.#grants.values()) if (g.qos > 0) return true;
    return false;
  }

  /** Consumer subjects the stored (persistent QoS 1/2) grants need, with their QoS. */
  storedSubjects(): Map<string, QoS> {
    const out = new Map<string, QoS>();
    for (const g of this.#grants.values()) {
      if (!g.stored) continue;
      for (const s of g.subjects) out.set(s, Math.max(out.get(s) ?? 0, g.qos) as QoS);
    }
    return out;
  }

  #recompute(): void {
    this.#patternQos.clear();
    for (const g of this.#grants.values()) {
      for (const s of g.subjects) {
        this.#patternQos.set(s, Math.max(this.#patternQos.get(s) ?? 0, g.qos) as QoS);
      }
    }
  }
}
