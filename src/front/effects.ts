import type { Outgoing } from "../mqtt/packets.ts";
import type { Effect, NotStored, SessionEnding } from "../../handlers/types.ts";
import type { ClientDelivery } from "../delivery/client_delivery.ts";
import type { SessionRef } from "../mqtt/session.ts";

/** The parts of a connection that effects act on. */
export interface EffectTarget {
  send(packet: Outgoing): void;
  /** Sends the packet once stored, in order with earlier ones; may ask the caller to wait. */
  sendWhenStored(pending: Promise<Outgoing | NotStored | null>): void | Promise<void>;
  /** Closes once every pending acknowledgement went out. */
  close(reason: string, graceful: boolean, code?: number, ending?: SessionEnding): Promise<void>;
  violation(reason: string): void;
  bind(session: SessionRef): void;
  /** The connection's delivery, if it has one. */
  delivery(): ClientDelivery | null;
  /** The connection's delivery, made on first use; null once the connection ended. */
  startDelivery(): ClientDelivery | null;
}

/** Effects applied without waiting on anything (but a full store pipeline). */
export const SYNC_EFFECTS: ReadonlySet<Effect["kind"]> = new Set<Effect["kind"]>([
  "send",
  "acked",
  "sendWhenStored",
  "received",
  "completed",
]);

/** Does what one effect says to the connection; a promise when the next must wait for it. */
export function applyEffect(effect: Effect, to: EffectTarget): void | Promise<void> {
  switch (effect.kind) {
    case "send":
      return to.send(effect.packet);
    case "sendWhenStored":
      return to.sendWhenStored(effect.pending);
    case "close":
      if (effect.violation) return to.violation(effect.reason);
      return to.close(effect.reason, effect.graceful === true, effect.code, effect.ending);
    case "bind":
      return to.bind(effect.session);
    case "subscribe":
      // Delivery starts, and NATS has the subscriptions, before SUBACK goes out.
      return to.startDelivery()?.add(effect.grants, {
        resume: effect.resume === true,
        holdForRetained: effect.retained === true,
        confirm: effect.restored !== true,
      });
    case "sendRetained":
      return to.delivery()?.sendRetained(effect.grants);
    case "unsubscribe":
      return to.delivery()?.remove(effect.filters);
    case "acked":
      return to.delivery()?.acked(effect.packetId);
    case "received":
      return to.startDelivery()?.received(effect.packetId, effect.refused === true);
    case "completed":
      return to.delivery()?.completed(effect.packetId);
    case "resendPublish":
      return to.startDelivery()?.resendPublish(effect.packetId, effect.streamSeq, effect.message);
    case "resendRelease":
      return to.startDelivery()?.resendRelease(effect.packetId, effect.streamSeq);
    case "defer":
      return;
  }
}
