import type { IConnectPacket } from "mqtt-packet";
import { connack } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import { hostOf } from "../src/net/cidr.ts";
import { connectRefusal } from "./connect_rules.ts";
import type { Grant, Identity, SessionRecord, SessionRef } from "../src/mqtt/session.ts";
import { TopicError } from "../src/errors.ts";
import { grantFor, removeConsumers } from "./grants.ts";
import { publishWill, willOf } from "./will.ts";
import { close, type Effect, type HandlerContext, send, violation } from "./types.ts";

/** A client id taken over again within this time of its last takeover is flapping: it waits. */
export const FLAP_WINDOW_MS = 1000;

/** CONNECT: checks protocol and client id, claims the session in JetStream, answers CONNACK. */
export async function connect(packet: IConnectPacket, ctx: HandlerContext): Promise<Effect[]> {
  const refused = connectRefusal(packet, ctx);
  if (refused) return refused;

  const will = willOf(packet);
  if (will instanceof TopicError) {
    return [violation(`Invalid will topic in CONNECT: ${will.message} [MQTT-3.1.3-10]`)];
  }
  const clientId = packet.clientId || `jetmq-${crypto.randomUUID()}`;
  const admitted = await admit(packet, clientId, ctx);
  if (!("name" in admitted)) return admitted;
  const identity = admitted;
  const clean = packet.clean !== false;
  const protocolVersion = packet.protocolVersion ?? 4;
  const key = ctx.sessions.keyOf(clientId);
  const now = ctx.now();
  const claim = await ctx.sessions.claim(key, (previous) => {
    if (isFlapping(previous, now)) return null;
    return {
      v: 1,
      clientId,
      clean,
      protocolVersion,
      subscriptions: !clean && previous && !previous.clean ? previous.subscriptions : {},
      owner: { instance: ctx.instanceId, connection: ctx.connectionId },
      connectedAt: new Date(now).toISOString(),
      takeoverAt: previous?.owner ? new Date(now).toISOString() : null,
      will,
    };
  }, clean);
  if (!claim) {
    return [{
      kind: "defer",
      ms: FLAP_WINDOW_MS,
      reason: `Client id "${clientId}" was taken over less than ${FLAP_WINDOW_MS} ms ago`,
    }];
  }
  const previous = claim.previous;
  const sessionPresent = !clean && previous !== null && !previous.clean;

  // Whoever held the session, on any instance, closes its connection [MQTT-3.1.4-2]; an
  // instance that is gone has no responders, so nobody waits for it.
  const answer = previous?.owner
    ? await ctx.takeovers.notify(previous.owner.instance, key, claim.generation)
    : null;
  // The connection taken over ended without DISCONNECT: its will goes out now [MQTT-3.1.2-8].
  // (nats-server drops it instead; see the README.)
  // A connection a drain was sending away ended normally for its will: the client is back.
  if (previous?.owner && previous.will && answer !== "drained") {
    await publishWill(previous.will, clientId, "Session taken over", ctx);
    await ctx.wills.willGone(previous.owner.instance, key);
  }
  // A will waiting for its delay is cancelled: the client is back in time.
  if (previous?.willAt) await ctx.wills.delayedGone(key);
  if (will) await ctx.wills.hasWill(ctx.instanceId, key);
  // A clean start discards the stored session with its queued messages [MQTT-3.1.2-6].
  if (clean && previous && !previous.clean) {
    await discardConsumers(key, previous, ctx);
    await ctx.qos2.discard(key);
  }

  const session: SessionRef = {
    key,
    clientId,
    clean,
    generation: claim.generation,
    protocolVersion,
    keepalive: packet.keepalive ?? 0,
    identity,
  };
  ctx.log.info("client.connected", {
    clientId,
    connection: ctx.connectionId,
    remote: ctx.remoteAddress,
    clean,
    sessionPresent,
    protocolVersion,
    keepalive: session.keepalive,
  });
  const effects: Effect[] = [
    { kind: "bind", session },
    send(connack(Reason.success, sessionPresent)),
  ];
  if (!sessionPresent) return effects;
  // Resent in order: PUBREL for QoS 2 deliveries already received, then (from the consumers)
  // every unacknowledged PUBLISH [MQTT-4.4.0-1] — unless the last connection ended with
  // nothing in flight, and there is nothing to look for.
  const settled = previous?.settled === true;
  for (const r of settled ? [] : await ctx.qos2.pendingReleases(key)) {
    // The instance that took the PUBREC may have gone before JetStream heard the
    // acknowledgement: give it again, ahead of the consumers' redelivery below, or the message
    // would go out once more after its PUBCOMP [MQTT-4.3.3-1].
    if (r.ack) ctx.bus.ack(r.ack);
    effects.push({ kind: "resendRelease", packetId: r.packetId, streamSeq: r.streamSeq });
  }
  const grants = restoredGrants(claim.record, ctx);
  if (grants.length > 0) effects.push({ kind: "subscribe", grants, resume: !settled });
  return effects;
}

/** Owned by a connection that itself took the session over moments ago: a takeover loop. */
function isFlapping(previous: SessionRecord | null, now: number): boolean {
  if (!previous?.owner || !previous.takeoverAt) return false;
  const at = Date.parse(previous.takeoverAt);
  return now - at < FLAP_WINDOW_MS && now >= at;
}

/**
 * Who is this, and may they come in: the connect rate, the login throttle, credentials, the will
 * topic, and the connection limits. Returns the identity, or what to do instead (a refusal, or
 * a wait for a throttled login: never a refusal for others' failures).
 */
async function admit(
  packet: IConnectPacket,
  clientId: string,
  ctx: HandlerContext,
): Promise<Identity | Effect[]> {
  const address = hostOf(ctx.remoteAddress);
  const refuse = (code: number, reason: string) => {
    // The code logged is MQTT 5's reason code (0x86 bad user name or password, 0x87 not authorized, …).
    ctx.log.warn("client.refused", { clientId, remote: ctx.remoteAddress, code, reason });
    return [send(connack(code, false)), close(reason)];
  };
  const now = ctx.now();
  const overRate = ctx.admission.overRate(address, now);
  if (overRate) return [close(overRate)]; // no CONNACK: the cheapest answer to a flood
  const throttled = ctx.admission.throttled(address, packet.username, now);
  if (throttled) return [{ kind: "defer", ms: throttled.ms, reason: throttled.reason }];
  const result = await ctx.admission.authenticate({
    username: packet.username,
    password: packet.password,
    clientId,
  });
  if (!result.ok) {
    ctx.admission.failed(address, packet.username, now);
    return refuse(result.code, result.reason);
  }
  const identity = result.identity;
  if (identity.name !== null) ctx.admission.succeeded(address, packet.username, now);
  if (packet.will && identity.permissions && !identity.permissions.canPublish(packet.will.topic)) {
    return refuse(Reason.notAuthorized, `Will topic "${packet.will.topic}" is not allowed`);
  }
  const { maxConnections } = ctx.limits;
  const live = ctx.admission.connections(identity.name);
  if (maxConnections > 0 && live.total >= maxConnections) {
    return refuse(Reason.serverUnavailable, `Instance at max_connections ${maxConnections}`);
  }
  if (identity.maxConnections !== null && live.ofUser >= identity.maxConnections) {
    return refuse(
      Reason.notAuthorized,
      `"${identity.name}" at its ${identity.maxConnections} connections`,
    );
  }
  return identity;
}

async function discardConsumers(
  key: string,
  previous: SessionRecord,
  ctx: HandlerContext,
): Promise<void> {
  for (const [filter, qos] of Object.entries(previous.subscriptions)) {
    await removeConsumers(key, filter, qos, ctx);
  }
}

function restoredGrants(record: SessionRecord, ctx: HandlerContext): Grant[] {
  const grants: Grant[] = [];
  for (const [filter, qos] of Object.entries(record.subscriptions)) {
    const grant = grantFor(filter, qos, true, ctx.limits.maxGrantedQos);
    if (grant instanceof TopicError) {
      ctx.log.warn("session.filter_dropped", { clientId: record.clientId, filter });
    } else grants.push(grant);
  }
  return grants;
}
