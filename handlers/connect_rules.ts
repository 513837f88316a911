import type { IConnectPacket } from "mqtt-packet";
import { connack } from "../src/mqtt/packets.ts";
import { Reason } from "../src/mqtt/reason_codes.ts";
import { close, type Effect, type HandlerContext, send, violation } from "./types.ts";

// The CONNECT rules that the decoded packet shows, each returning what to do when broken. The
// rules only its bytes show (reserved flag, will bits without a will, ill-formed UTF-8) are
// checked before decoding, in src/mqtt/connect_frame.ts.

const PROTOCOL_NAMES: Record<number, string> = { 3: "MQIsdp", 4: "MQTT", 5: "MQTT" };

/** The first broken rule's answer, or null when the CONNECT may go on. */
export function connectRefusal(packet: IConnectPacket, ctx: HandlerContext): Effect[] | null {
  return checkProtocol(packet, ctx) ?? checkFlags(packet) ?? checkStrings(packet) ??
    checkClientId(packet, ctx);
}

function checkProtocol(packet: IConnectPacket, ctx: HandlerContext): Effect[] | null {
  const level = packet.protocolVersion ?? 0;
  if (PROTOCOL_NAMES[level] === packet.protocolId && (level !== 5 || ctx.limits.mqtt5)) {
    return null;
  }
  return [
    send(connack(Reason.unsupportedProtocolVersion, false)),
    close(
      `Unsupported protocol "${packet.protocolId}" level ${level}: ` +
        `expected "MQTT" level ${ctx.limits.mqtt5 ? "5 or " : ""}4 or "MQIsdp" level 3 ` +
        "[MQTT-3.1.2-2]",
    ),
  ];
}

/** Flag combinations the spec forbids: the connection closes without CONNACK [MQTT-3.1.4-1]. */
function checkFlags(packet: IConnectPacket): Effect[] | null {
  if (packet.will && (packet.will.qos as number) === 3) {
    return [violation("CONNECT Will QoS is 3 [MQTT-3.1.2-14]")];
  }
  if (packet.password !== undefined && packet.username === undefined) {
    return [violation("CONNECT Password Flag is 1 while the User Name Flag is 0 [MQTT-3.1.2-22]")];
  }
  return null;
}

/** UTF-8 strings must not hold U+0000 [MQTT-1.5.3-2]. */
function checkStrings(packet: IConnectPacket): Effect[] | null {
  const fields: Array<[string, string | undefined]> = [
    ["client id", packet.clientId],
    ["will topic", packet.will?.topic],
    ["user name", packet.username],
  ];
  for (const [name, value] of fields) {
    if (value?.includes("\u0000")) {
      return [violation(`CONNECT ${name} holds U+0000 [MQTT-1.5.3-2]`)];
    }
  }
  return null;
}

function checkClientId(packet: IConnectPacket, ctx: HandlerContext): Effect[] | null {
  const id = packet.clientId ?? "";
  const reject = (
    reason: string,
  ) => [send(connack(Reason.clientIdentifierNotValid, false)), close(reason)];
  // MQTT 5 assigns an id whatever Clean Start says (3.1.3.1); 3.1.1 only to clean sessions.
  if (!id && packet.clean === false && packet.protocolVersion !== 5) {
    return reject("Empty client id with clean session 0 [MQTT-3.1.3-8]");
  }
  const max = ctx.limits.maxClientIdLength;
  if (Buffer.byteLength(id) > max) return reject(`Client id longer than ${max} bytes`);
  return null;
}
