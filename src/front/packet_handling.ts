import type { Packet } from "mqtt-packet";
import { setTimeout as sleep } from "node:timers/promises";
import type { Effect, Handler, HandlerContext, SessionContext } from "../../handlers/types.ts";
import type { Logger } from "../log.ts";
import { route } from "./dispatch.ts";
import { applyEffect, type EffectTarget, SYNC_EFFECTS } from "./effects.ts";

/** The connection a packet is handled for. */
export interface PacketHost extends EffectTarget {
  readonly connectionId: string;
  /** The context of CONNECT (and of a connection without a session yet). */
  readonly context: HandlerContext;
  /** Set once the session is bound: the context of every packet after CONNECT. */
  readonly sessionContext: SessionContext | null;
  /** The connection is closing: a deferred packet is not handled again. */
  readonly closing: boolean;
  readonly log: Logger;
  /** A handler threw: a fault, not a protocol outcome. */
  failed(packet: Packet, err: unknown): void;
}

/**
 * Runs one packet through its handler and applies the effects, in order. Synchronous when the
 * handler is and its effects are (QoS 0 PUBLISH, PINGREQ): the hot path makes no promise.
 */
export function handlePacket(packet: Packet, host: PacketHost): void | Promise<void> {
  const r = route(packet, host.sessionContext !== null);
  if (r.kind === "ignore") return;
  if (r.kind === "violation") return host.violation(r.reason);
  // route() hands packets after CONNECT only to a connection with a session context.
  const handler = r.handler as Handler<Packet, HandlerContext>;
  const ctx = r.kind === "connect" ? host.context : host.sessionContext as SessionContext;
  let out: Effect[] | Promise<Effect[]>;
  try {
    out = handler(packet, ctx);
  } catch (err) {
    return host.failed(packet, err);
  }
  if (!(out instanceof Promise) && out.every(isSync)) {
    let wait: void | Promise<void> = undefined;
    for (const e of out) wait = applyEffect(e, host) ?? wait;
    return wait;
  }
  return handleAsync(packet, host, handler, ctx, out);
}

const isSync = (e: Effect) => SYNC_EFFECTS.has(e.kind);

async function handleAsync(
  packet: Packet,
  host: PacketHost,
  handler: Handler<Packet, HandlerContext>,
  ctx: HandlerContext,
  first: Effect[] | Promise<Effect[]>,
): Promise<void> {
  try {
    let out = first;
    for (;;) {
      const effects = out instanceof Promise ? await out : out;
      const head = effects[0];
      if (head?.kind !== "defer") {
        for (const effect of effects) await applyEffect(effect, host);
        return;
      }
      // Later packets of this connection wait too: order is kept [MQTT-4.6.0-6].
      host.log.info("client.deferred", {
        connection: host.connectionId,
        ms: head.ms,
        reason: head.reason,
      });
      await sleep(head.ms);
      if (host.closing) return;
      out = handler(packet, ctx);
    }
  } catch (err) {
    host.failed(packet, err);
  }
}
