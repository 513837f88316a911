import type { IConnectPacket, Packet } from "mqtt-packet";
import { connect } from "../../handlers/connect.ts";
import { disconnect } from "../../handlers/disconnect.ts";
import { pingreq } from "../../handlers/ping.ts";
import { puback } from "../../handlers/puback.ts";
import { publish } from "../../handlers/publish.ts";
import { pubcompHandler, pubrecHandler, pubrel } from "../../handlers/qos2_acks.ts";
import { subscribe } from "../../handlers/subscribe.ts";
import { unsubscribe } from "../../handlers/unsubscribe.ts";
import type { Handler, HandlerContext } from "../../handlers/types.ts";

/** Which handler takes which packet from a connected client. */
const HANDLERS: Partial<Record<Packet["cmd"], Handler<never>>> = {
  publish,
  puback,
  pubrec: pubrecHandler,
  pubrel,
  pubcomp: pubcompHandler,
  subscribe,
  unsubscribe,
  pingreq,
  disconnect,
};

/** The route of each handled packet type, made once rather than per packet. */
const HANDLE_ROUTES = new Map<Packet["cmd"], Route>(
  Object.entries(HANDLERS).map(([cmd, handler]) => [
    cmd as Packet["cmd"],
    { kind: "handle", handler: handler as Handler },
  ]),
);
const CONNECT_ROUTE: Route = { kind: "connect", handler: connect };
const IGNORE_ROUTE: Route = { kind: "ignore" };

/** Packets only a server sends: a client sending one breaks the protocol. */
const SERVER_ONLY = new Set<Packet["cmd"]>(["connack", "suback", "unsuback", "pingresp"]);

export type Route =
  | { kind: "connect"; handler: Handler<IConnectPacket, HandlerContext> }
  | { kind: "handle"; handler: Handler }
  | { kind: "ignore" }
  | { kind: "violation"; reason: string };

/**
 * Decides what happens to a packet, given whether CONNECT was already accepted: the one place
 * that enforces CONNECT first, so handlers of later packets always have a session.
 */
export function route(packet: Packet, connected: boolean): Route {
  if (!connected && packet.cmd !== "connect") {
    return {
      kind: "violation",
      reason: `First packet was ${packet.cmd.toUpperCase()}, expected CONNECT [MQTT-3.1.0-1]`,
    };
  }
  if (packet.cmd === "connect") {
    return connected
      ? { kind: "violation", reason: "Second CONNECT on one connection [MQTT-3.1.0-2]" }
      : CONNECT_ROUTE;
  }
  if (packet.cmd === "auth") {
    // jetmq offers no authentication method, so no CONNECT can have started an exchange.
    return { kind: "violation", reason: "AUTH without an authentication method in CONNECT" };
  }
  if (SERVER_ONLY.has(packet.cmd)) {
    return {
      kind: "violation",
      reason: `Client sent ${packet.cmd.toUpperCase()}, a server packet`,
    };
  }
  return HANDLE_ROUTES.get(packet.cmd) ?? IGNORE_ROUTE;
}
