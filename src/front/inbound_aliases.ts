import type { DecodedPublish } from "../mqtt/publish_decoder.ts";
import { Reason } from "../mqtt/reason_codes.ts";

/** Why an aliased PUBLISH is refused, with the reason code of the DISCONNECT. */
export interface AliasViolation {
  readonly reason: string;
  readonly code: number;
}

/**
 * The topic aliases an MQTT 5 client set on one connection (never across connections), resolved
 * in arrival order, before any handler runs.
 */
export class InboundAliases {
  #topics = new Map<number, string>();

  constructor(readonly maximum: number) {}

  /** Puts the topic of an aliased PUBLISH in place; why it cannot be, or null. */
  resolve(packet: DecodedPublish): AliasViolation | null {
    const alias = packet.v5?.properties.topicAlias;
    if (alias === undefined) {
      if (packet.topic !== "") return null;
      return {
        reason: "PUBLISH with neither a topic nor a Topic Alias",
        code: Reason.protocolError,
      };
    }
    if (alias === 0 || alias > this.maximum) {
      return {
        reason: `Topic Alias ${alias} outside 1..${this.maximum} [MQTT-3.3.2-8] [MQTT-3.3.2-9]`,
        code: Reason.topicAliasInvalid,
      };
    }
    if (packet.topic !== "") {
      this.#topics.set(alias, packet.topic);
      return null;
    }
    const topic = this.#topics.get(alias);
    if (topic === undefined) {
      return {
        reason: `Unknown Topic Alias ${alias}: used before it was set`,
        code: Reason.protocolError,
      };
    }
    packet.topic = topic;
    return null;
  }
}
