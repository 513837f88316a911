import type { IConnectPacket } from "mqtt-packet";
import { connack, ConnackCode } from "../src/mqtt/packets.ts";
import { sessionKey, takeoverSubject } from "../src/nats/names.ts";
import type { SessionRecord } from "../src/nats/sessions.ts";
import { TopicError } from "../src/errors.ts";
import { grantFor } from "./grants.ts";
import {
  close,
  type Effect,
  type Grant,
  type HandlerContext,
  send,
  type SessionRef,
} from "./types.ts";

const PROTOCOL_NAMES: Record<number, string> = { 3: "MQIsdp", 4: "MQTT" };

/** CONNECT: checks protocol and client id, claims the session in JetStream, answers CONNACK. */
export async function connect(packet: IConnectPacket, ctx: HandlerContext): Promise<Effect[]> {
  const refused = checkProtocol(packet) ?? checkClientId(packet);
  if (refused) return refused;

  const clientId = packet.clientId || `jetmq-${crypto.randomUUID()}`;
  const clean = packet.clean !== false;
  const protocolVersion = packet.protocolVersion ?? 4;
  const key = sessionKey(clientId);
  const claim = await ctx.sessions.claim(key, (previous) => ({
    v: 1,
    clientId,
    clean,
    protocolVersion,
    subscriptions: !clean && previous && !previous.clean ? previous.subscriptions : {},
    owner: { instance: ctx.instanceId, connection: ctx.connectionId },
    connectedAt: new Date().toISOString(),
  }));
  const sessionPresent = !clean && claim.previous !== null && !claim.previous.clean;

  // Whoever held the session, on any instance, closes its connection [MQTT-3.1.4-2].
  if (claim.previous?.owner) {
    ctx.bus.notify(
      takeoverSubject(key),
      new TextEncoder().encode(JSON.stringify({ generation: claim.generation })),
    );
  }

  const session: SessionRef = {
    key,
    clientId,
    clean,
    generation: claim.generation,
    protocolVersion,
    keepalive: packet.keepalive ?? 0,
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
    send(connack(ConnackCode.accepted, sessionPresent)),
  ];
  const grants = sessionPresent ? restoredGrants(claim.record, ctx) : [];
  if (grants.length > 0) effects.push({ kind: "subscribe", grants });
  return effects;
}

function checkProtocol(packet: IConnectPacket): Effect[] | null {
  const level = packet.protocolVersion ?? 0;
  if (PROTOCOL_NAMES[level] === packet.protocolId) return null;
  // MQTT 5 arrives here too until it is implemented.
  return [
    send(connack(ConnackCode.unacceptableProtocolVersion, false)),
    close(
      `Unsupported protocol "${packet.protocolId}" level ${level}: ` +
        `expected "MQTT" level 4 or "MQIsdp" level 3 [MQTT-3.1.2-2]`,
    ),
  ];
}

function checkClientId(packet: IConnectPacket): Effect[] | null {
  if (packet.clientId || packet.clean !== false) return null;
  return [
    send(connack(ConnackCode.identifierRejected, false)),
    close("Empty client id with clean session 0 [MQTT-3.1.3-8]"),
  ];
}

function restoredGrants(record: SessionRecord, ctx: HandlerContext): Grant[] {
  const grants: Grant[] = [];
  for (const [filter, qos] of Object.entries(record.subscriptions)) {
    const grant = grantFor(filter, qos);
    if (grant instanceof TopicError) {
      ctx.log.warn("session.filter_dropped", { clientId: record.clientId, filter });
    } else grants.push(grant);
  }
  return grants;
}
