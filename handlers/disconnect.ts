import type { IDisconnectPacket } from "mqtt-packet";
import { Reason } from "../src/mqtt/reason_codes.ts";
import type { Properties } from "../src/mqtt/v5_properties.ts";
import { type Effect, type SessionContext, violation } from "./types.ts";

/**
 * DISCONNECT: a clean end; the connection closes without publishing a will [MQTT-3.14.4-3] —
 * unless an MQTT 5 client asks for it (reason 0x04). An MQTT 5 client may change its session's
 * expiry here, but not from 0, which CONNECT said [MQTT-3.14.2-2].
 */
export function disconnect(
  packet: IDisconnectPacket & { readonly props?: Properties },
  ctx: SessionContext,
): Effect[] {
  const asked = packet.props?.sessionExpiryInterval;
  if (asked !== undefined && asked !== 0 && ctx.session.expiry === 0) {
    return [
      violation("DISCONNECT sets a Session Expiry Interval where CONNECT set 0 [MQTT-3.14.2-2]"),
    ];
  }
  const max = ctx.limits.maxSessionExpiry;
  const expiry = asked === undefined ? undefined : max > 0 && asked > max ? max : asked;
  const withWill = packet.reasonCode === Reason.disconnectWithWill;
  return [{
    kind: "close",
    reason: withWill ? "Client sent DISCONNECT with its will (0x04)" : "Client sent DISCONNECT",
    graceful: true,
    ending: { ...(withWill ? { withWill } : {}), ...(expiry === undefined ? {} : { expiry }) },
  }];
}
