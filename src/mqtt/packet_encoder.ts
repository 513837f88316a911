import * as mqttPacket from "mqtt-packet";
import type { Packet } from "mqtt-packet";
import type { Outgoing } from "./packets.ts";
import { v3SubackCode } from "./reason_codes.ts";
import { encodeV5 } from "./v5_encode.ts";

// On its first use, mqtt-packet's encoder makes a 2-byte Buffer for every number up to 65535, and
// keeps them: 65,536 objects (4.9 MB of heap) that every full collection marks again, for the
// few packets jetmq leaves to it (SUBACK, CONNACK refusals). Numbers made as written cost less.
mqttPacket.writeToStream.cacheNumbers = false;

/**
 * Encodes a packet of the server for a connection of the given protocol version. Reason codes
 * are MQTT 5's; a 3.1.1 or 3.1 connection gets its own return codes instead (and no properties).
 */
export function encodePacket(packet: Outgoing, protocolVersion: number): Uint8Array {
  if (protocolVersion === 5) return encodeV5(packet);
  if (packet.cmd === "suback") {
    const granted = (packet.granted as number[]).map(v3SubackCode);
    return mqttPacket.generate({ ...packet, granted });
  }
  return shortPacket(packet) || mqttPacket.generate(packet, { protocolVersion });
}

/** Fixed first bytes of the 3.1.1 acknowledgements that are a packet id and nothing else. */
const ID_ONLY: Partial<Record<Packet["cmd"], number>> = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62,
  pubcomp: 0x70,
  unsuback: 0xb0,
};

/**
 * The packets sent once per message or per connection, a few fixed bytes each (3.1.1 and 3.1):
 * not worth a trip through mqtt-packet, which allocates and logs its way through every one.
 */
function shortPacket(packet: Packet): Uint8Array | null {
  const first = ID_ONLY[packet.cmd];
  if (first !== undefined) {
    const id = (packet as { messageId?: number }).messageId ?? 0;
    return Uint8Array.of(first, 0x02, id >> 8, id & 0xff);
  }
  if (packet.cmd === "connack") {
    return Uint8Array.of(0x20, 0x02, packet.sessionPresent ? 1 : 0, packet.returnCode ?? 0);
  }
  if (packet.cmd === "pingresp") return Uint8Array.of(0xd0, 0x00);
  return null;
}
