import type { IConnectPacket } from "mqtt-packet";
import { connack } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import { hostOf } from "../src/net/cidr.ts";
import { connectRefusal } from "./connect_rules.ts";
import {
  type ClientLimits,
  type Grant,
  type Identity,
  NEVER_EXPIRES,
  type QoS,
  type SessionRecord,
  type SessionRef,
} from "../src/mqtt/session.ts";
import type { Properties } from "../src/mqtt/v5_properties.ts";
import { TopicError } from "../src/errors.ts";
import { discardSession, grantFor } from "./grants.ts";
import { publishWill, willOf } from "./will.ts";
import { close, type Effect, type HandlerContext, send, violation } from "./types.ts";

/** A client id taken over again within this time of its last takeover is flapping: it waits. */
export const FLAP_WINDOW_MS = 1000;

/**
 * The subscriptions of a new record, one object for all: records are never changed in place
 * (SUBSCRIBE writes a copy), and a connection's record stays in memory while it lasts.
 */
const NO_SUBSCRIPTIONS: Record<string, QoS> = Object.freeze({});

/** A CONNECT as the decoder gives it: MQTT 5 properties checked and decoded by jetmq. */
export type ConnectPacket = IConnectPacket & { readonly props?: Properties };

/**
 * CONNECT: checks protocol and client id, claims the session in JetStream, answers CONNACK.
 * Clean Start says whether a stored session is resumed [MQTT-3.1.2-4] [MQTT-3.1.2-5]; the
 * session's expiry (MQTT 5's Session Expiry Interval; 3.1.1's clean session 1 is 0, 0 is
 * never) says how long it outlives the connection. A session that ends with its connection and
 * resumes nothing is jetmq's "clean" session: no durable consumers, no record after.
 */
export async function connect(packet: ConnectPacket, ctx: HandlerContext): Promise<Effect[]> {
  const refused = connectRefusal(packet, ctx);
  if (refused) return refused;
  const v5 = packet.protocolVersion === 5;
  const props = packet.props ?? {};
  if (props.authenticationMethod !== undefined) {
    // No enhanced authentication method is offered (yet): a client asking for one is refused.
    const reason = `Authentication method "${props.authenticationMethod}" is not supported`;
    return [send(connack(Reason.badAuthenticationMethod, false)), close(reason)];
  }

  const will = willOf(packet);
  if (will instanceof TopicError) {
    return [violation(`Invalid will topic in CONNECT: ${will.message} [MQTT-3.1.3-10]`)];
  }
  // An MQTT 5 client without an id is given one, and told which [MQTT-3.2.2-16].
  const assigned = packet.clientId ? null : `jetmq-${crypto.randomUUID()}`;
  const clientId = packet.clientId || (assigned as string);
  const admitted = await admit(packet, clientId, ctx);
  if (!("name" in admitted)) return admitted;
  const identity = admitted;
  const cleanStart = packet.clean !== false;
  const askedExpiry = v5 ? props.sessionExpiryInterval ?? 0 : cleanStart ? 0 : NEVER_EXPIRES;
  const max = ctx.limits.maxSessionExpiry;
  const expiry = max > 0 && askedExpiry > max ? max : askedExpiry;
  const protocolVersion = packet.protocolVersion ?? 4;
  // An MQTT 5 client is told a shorter keepalive, or one at all, when it asks for more or none
  // (3.2.2.3.14); 3.1.1 has no way to say it, and keeps its own.
  const maxKeepalive = ctx.limits.maxKeepalive;
  const asked = packet.keepalive ?? 0;
  const keepalive = v5 && maxKeepalive > 0 && (asked === 0 || asked > maxKeepalive)
    ? maxKeepalive
    : asked;
  const key = ctx.sessions.keyOf(clientId);
  const now = ctx.now();
  const claim = await ctx.sessions.claim(key, (previous) => {
    if (isFlapping(previous, now)) return null;
    const resumed = !cleanStart && previous !== null && !previous.clean;
    // A session that ends with its connection but resumes a stored one keeps its consumers
    // for the connection's time; the end removes them.
    const clean = expiry === 0 && !resumed;
    return {
      v: 1,
      clientId,
      clean,
      protocolVersion,
      subscriptions: resumed ? previous.subscriptions : NO_SUBSCRIPTIONS,
      owner: { instance: ctx.instanceId, connection: ctx.connectionId },
      connectedAt: new Date(now).toISOString(),
      takeoverAt: previous?.owner ? new Date(now).toISOString() : null,
      will,
      ...(expiry === NEVER_EXPIRES ? {} : { expiry }),
    };
  }, cleanStart && expiry === 0);
  if (!claim) {
    return [{
      kind: "defer",
      ms: FLAP_WINDOW_MS,
      reason: `Client id "${clientId}" was taken over less than ${FLAP_WINDOW_MS} ms ago`,
    }];
  }
  const previous = claim.previous;
  const clean = claim.record.clean;
  const sessionPresent = !cleanStart && previous !== null && !previous.clean;

  // Whoever held the session, on any instance, closes its connection [MQTT-3.1.4-2]; an
  // instance that is gone has no responders, so nobody waits for it.
  const notified = Date.now();
  const answer = previous?.owner
    ? await ctx.takeovers.notify(previous.owner.instance, key, claim.generation)
    : null;
  const waited = Date.now() - notified;
  if (previous?.owner && (answer === "gone" || waited > ctx.takeovers.waitMs)) {
    ctx.log.info("takeover.slow", {
      clientId,
      instance: previous.owner.instance,
      answer,
      ms: waited,
    });
  }
  // The connection taken over ended without DISCONNECT: its will goes out now [MQTT-3.1.2-8].
  // (nats-server drops it instead; see the README.)
  // A connection a drain was sending away ended normally for its will: the client is back.
  if (previous?.owner && previous.will && answer !== "drained") {
    await publishWill(previous.will, clientId, "Session taken over", ctx);
    await ctx.wills.willGone(previous.owner.instance, key);
  }
  // A will waiting for its delay, or the session's expiry, is cancelled: the client is back.
  if (previous?.willAt || previous?.expireAt) await ctx.wills.delayedGone(key);
  if (will) await ctx.wills.hasWill(ctx.instanceId, key);
  // A clean start discards the stored session with its queued messages [MQTT-3.1.2-6].
  if (cleanStart && previous && !previous.clean) {
    await discardSession(key, previous.subscriptions, ctx);
  }

  const session: SessionRef = {
    key,
    clientId,
    clean,
    generation: claim.generation,
    protocolVersion,
    keepalive,
    identity,
    expiry,
    ...(v5 ? { client: clientLimits(props) } : {}),
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
    send(
      connack(
        Reason.success,
        sessionPresent,
        v5
          ? connackProperties(
            ctx,
            assigned,
            askedExpiry,
            expiry,
            keepalive !== asked ? keepalive : null,
          )
          : undefined,
      ),
    ),
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
    if (r.publish) {
      // A shared subscription's message this session owns, not received yet [MQTT-4.8.2-4].
      const { packetId, streamSeq, publish: message } = r;
      effects.push({ kind: "resendPublish", packetId, streamSeq, message });
    } else effects.push({ kind: "resendRelease", packetId: r.packetId, streamSeq: r.streamSeq });
  }
  const grants = restoredGrants(claim.record, ctx);
  if (grants.length > 0) {
    effects.push({ kind: "subscribe", grants, resume: !settled, restored: true });
  }
  return effects;
}

function clientLimits(props: Properties): ClientLimits {
  return {
    maximumPacketSize: props.maximumPacketSize ?? Number.MAX_SAFE_INTEGER,
    receiveMaximum: props.receiveMaximum ?? 65535,
    topicAliasMaximum: props.topicAliasMaximum ?? 0,
  };
}

/** What jetmq tells an MQTT 5 client in CONNACK: what it assigned or changed, what it offers. */
function connackProperties(
  ctx: HandlerContext,
  assigned: string | null,
  asked: number,
  expiry: number,
  serverKeepAlive: number | null,
): Properties {
  const { limits } = ctx;
  return {
    ...(serverKeepAlive === null ? {} : { serverKeepAlive }),
    ...(assigned ? { assignedClientIdentifier: assigned } : {}),
    // Only when jetmq keeps the session less long than the client asked (3.2.2.3.2).
    ...(expiry !== asked ? { sessionExpiryInterval: expiry } : {}),
    ...(limits.rejectQos2Publish ? { maximumQos: 1 } : {}),
    maximumPacketSize: limits.maxPacketSize,
    ...(limits.topicAliasMaximum > 0 ? { topicAliasMaximum: limits.topicAliasMaximum } : {}),
    // Shared Subscription Available is absent: 1, they are (3.2.2.3.15).
  };
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

function restoredGrants(record: SessionRecord, ctx: HandlerContext): Grant[] {
  const grants: Grant[] = [];
  for (const [filter, qos] of Object.entries(record.subscriptions)) {
    const options = record.options?.[filter];
    const grant = grantFor(filter, qos, true, ctx.limits.maxGrantedQos, options);
    if (grant instanceof TopicError) {
      ctx.log.warn("session.filter_dropped", { clientId: record.clientId, filter });
    } else grants.push(grant);
  }
  return grants;
}
