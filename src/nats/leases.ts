import type { KV } from "@nats-io/kv";
import { willKey } from "./names.ts";

const encoder = new TextEncoder();

/**
 * Which instances are alive, and which sessions with a will each one serves. An instance
 * renews its lease (a key in `jetmq_instances`) every few seconds; one whose lease is older
 * than the TTL is dead, and another instance publishes the wills it left behind.
 */
export class Leases {
  constructor(readonly instances: KV, readonly wills: KV) {}

  /** Renews this instance's lease; NATS stamps it with the server's clock. */
  async renew(instanceId: string): Promise<void> {
    await this.instances.put(instanceId, encoder.encode("alive"));
  }

  /** Instances (other than `self`) whose lease is older than `ttlMs`. */
  async expired(self: string, ttlMs: number): Promise<string[]> {
    const out: string[] = [];
    const now = Date.now();
    for await (const id of await this.instances.keys()) {
      if (id === self) continue;
      const entry = await this.instances.get(id);
      if (entry && entry.operation === "PUT" && now - entry.created.getTime() > ttlMs) out.push(id);
    }
    return out;
  }

  /** The dead instance's lease goes, once its wills are dealt with. */
  async forget(instanceId: string): Promise<void> {
    await this.instances.purge(instanceId);
  }

  /** `key` (a session with a will) is served by `instanceId`. */
  async hasWill(instanceId: string, key: string): Promise<void> {
    await this.wills.put(willKey(instanceId, key), encoder.encode("1"));
  }

  async willGone(instanceId: string, key: string): Promise<void> {
    await this.wills.purge(willKey(instanceId, key));
  }

  /** Session keys with a will served by `instanceId`. */
  async sessionsWithWill(instanceId: string): Promise<string[]> {
    const out: string[] = [];
    const prefix = `${instanceId}.`;
    for await (const k of await this.wills.keys(`${prefix}*`)) out.push(k.slice(prefix.length));
    return out;
  }
}
