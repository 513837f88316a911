import type { ISubscribePacket } from "mqtt-packet";
import { TopicError } from "../src/errors.ts";
import { suback } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import type { Properties } from "../src/mqtt/v5_properties.ts";
import type { Grant, QoS, SessionRecord, SessionRef } from "../src/mqtt/session.ts";
import { consumersOf, grantFor, MAX_SESSION_IN_FLIGHT, removeConsumers } from "./grants.ts";
import { connectionOwner, isShared } from "../src/mqtt/shared_filter.ts";
import { close, type Effect, type HandlerContext, send, type SessionContext } from "./types.ts";

/**
 * SUBSCRIBE: each filter is granted or refused on its own (0x8F invalid, 0x87 not allowed,
 * 0x97 over the in-flight quota; 0x80 for all three to a 3.1.1 client). Persistent sessions record
 * the granted filters and get a durable consumer per subject of each QoS 1 filter, so that
 * messages are kept while they are away; a shared subscription joins its group, whose consumer
 * keeps the group's; all of it exists before SUBACK goes out. The retained messages of the new
 * (unshared) filters follow SUBACK, ahead of live ones.
 */
export async function subscribe(
  packet: ISubscribePacket & { readonly props?: Properties },
  ctx: SessionContext,
): Promise<Effect[]> {
  const session = ctx.session;
  const v5 = session.protocolVersion === 5;
  // One Subscription Identifier per SUBSCRIBE, for each of its filters (3.8.2.1.2).
  const subscriptionId = v5 ? packet.props?.subscriptionIdentifiers?.[0] : undefined;
  const granted: number[] = [];
  const grants: Grant[] = [];
  const indexOf = new Map<Grant, number>();
  // Retain Handling 1 sends the retained messages only for a filter not subscribed yet.
  const noRetained = new Set<string>();
  // 3.1.1 clients' `$share/…` is a shared subscription too unless the option turns it off.
  const shares = v5 || ctx.limits.sharedSubscriptionsV3;
  let noLocalShared: string | null = null;
  packet.subscriptions.forEach(({ topic, qos, nl, rap, rh }, i) => {
    const options = v5 && (nl || rap || subscriptionId)
      ? {
        ...(nl ? { nl: true as const } : {}),
        ...(rap ? { rap: true as const } : {}),
        ...(subscriptionId ? { id: subscriptionId } : {}),
      }
      : undefined;
    const shared = shares && isShared(topic);
    const persistent = !session.clean;
    const grant = grantFor(topic, qos, persistent, ctx.limits.maxGrantedQos, options, shared);
    if (v5 && (rh === 2 || (rh === 1 && ctx.subscribed(topic)))) noRetained.add(topic);
    const permissions = session.identity.permissions;
    if (grant instanceof TopicError) {
      refused(ctx, session, topic, grant.message);
      granted.push(Reason.topicFilterInvalid);
    } else if (permissions && !permissions.canSubscribe(grant.share?.filter ?? topic)) {
      refused(ctx, session, topic, "Not allowed for this user");
      granted.push(Reason.notAuthorized);
    } else {
      if (grant.share && nl) noLocalShared = topic;
      grants.push(grant);
      indexOf.set(grant, i);
      granted.push(grant.qos);
    }
  });
  if (noLocalShared !== null) {
    return [
      close(
        `No Local on the shared subscription "${noLocalShared}" [MQTT-3.8.3-4]`,
        false,
        Reason.protocolError,
      ),
    ];
  }
  let accepted = grants;
  if (!session.clean && grants.length > 0) {
    const stored = await storeGrants(session, grants, ctx);
    if (!stored) {
      return [
        close(
          "Session taken over by a newer connection [MQTT-3.1.4-2]",
          false,
          Reason.sessionTakenOver,
        ),
      ];
    }
    accepted = stored;
    for (const g of grants) {
      if (!accepted.includes(g)) granted[indexOf.get(g) ?? 0] = Reason.quotaExceeded;
    }
  }
  if (session.clean) {
    // A persistent session joined in storeGrants; this one leaves when its connection ends.
    for (const g of accepted) {
      if (!g.share) continue;
      const owner = connectionOwner(ctx.instanceId, ctx.connectionId);
      await ctx.consumers.joinShare(g.filter, g.subjects, session.key, owner);
    }
  }
  if (accepted.length === 0) return [send(suback(packet.messageId ?? 0, granted))];
  // A shared subscription gets no retained messages (4.8.2).
  const withRetained = accepted.filter((g) => !g.share && !noRetained.has(g.filter));
  return [
    { kind: "subscribe", grants: accepted, retained: withRetained.length > 0 },
    send(suback(packet.messageId ?? 0, granted)),
    ...(withRetained.length > 0 ? [{ kind: "sendRetained", grants: withRetained } as Effect] : []),
  ];
}

function refused(ctx: HandlerContext, session: SessionRef, filter: string, reason: string): void {
  ctx.log.info("subscribe.refused", { clientId: session.clientId, filter, reason });
}

/**
 * Records the grants in the session (compare-and-set, fenced by ownership), refusing those that
 * would take the session's in-flight window past 65535, then creates their consumers. Returns
 * the accepted grants, or null when the session has a newer owner.
 */
async function storeGrants(
  session: SessionRef,
  grants: readonly Grant[],
  ctx: HandlerContext,
): Promise<Grant[] | null> {
  let accepted: Grant[] = [];
  let replaced: Record<string, QoS> = {};
  const owned = await ctx.sessions.update(session.key, ctx.connectionId, (record) => {
    const subscriptions = { ...record.subscriptions };
    const options = { ...record.options };
    accepted = [];
    replaced = {};
    for (const g of grants) {
      const before = subscriptions[g.filter];
      delete subscriptions[g.filter];
      if (
        inFlightWindow(subscriptions, ctx) + consumersOf(g) * ctx.limits.maxAckPending >
          MAX_SESSION_IN_FLIGHT
      ) {
        if (before !== undefined) subscriptions[g.filter] = before;
        refused(
          ctx,
          session,
          g.filter,
          `The session's in-flight window would pass ${MAX_SESSION_IN_FLIGHT}`,
        );
        continue;
      }
      if (before !== undefined) replaced[g.filter] = before;
      subscriptions[g.filter] = g.qos;
      if (g.options) options[g.filter] = g.options;
      else delete options[g.filter];
      accepted.push(g);
    }
    const kept = Object.keys(options).length > 0 ? { options } : { options: undefined };
    return { ...record, subscriptions, ...kept };
  });
  if (owned === null) return null;
  for (const g of accepted) {
    // A QoS 1 subscription keeps its consumer, and its queue, when it is replaced [MQTT-3.8.4-3].
    if (g.share) await ctx.consumers.joinShare(g.filter, g.subjects, session.key, null);
    else if (g.stored) { for (const s of g.subjects) await ctx.consumers.ensure(session.key, s); }
    else {
      const before = replaced[g.filter];
      if (before !== undefined) await removeConsumers(session.key, g.filter, before, ctx);
    }
  }
  return accepted;
}

function inFlightWindow(
  subscriptions: SessionRecord["subscriptions"],
  ctx: HandlerContext,
): number {
  let total = 0;
  for (const [filter, qos] of Object.entries(subscriptions)) {
    const g = grantFor(filter, qos, true);
    if (!(g instanceof TopicError)) total += consumersOf(g) * ctx.limits.maxAckPending;
  }
  return total;
}
