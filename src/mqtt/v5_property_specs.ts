// The properties of MQTT 5 (OASIS MQTT 5.0, 2.2.2.2): what each is called, its data type, the
// packets that may carry it and the values it may take. The codec is v5_properties.ts.

/** The packets (and the will) that carry properties; the four PUBLISH acks share one set. */
export type PropertyContext =
  | "connect"
  | "will"
  | "connack"
  | "publish"
  | "ack"
  | "subscribe"
  | "suback"
  | "unsubscribe"
  | "unsuback"
  | "disconnect"
  | "auth";

export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** Several on a PUBLISH from the server (one per matching subscription), one on SUBSCRIBE. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQos?: number;
  retainAvailable?: number;
  /** In the order they came; a name may repeat. */
  userProperties?: Array<[string, string]>;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

export type Kind = "byte" | "u16" | "u32" | "varint" | "utf8" | "binary" | "pair";

export interface Spec {
  readonly id: number;
  readonly name: keyof Properties;
  readonly kind: Kind;
  readonly in: readonly PropertyContext[];
  /** Values allowed (inclusive range); outside is a Protocol Error. */
  readonly range?: readonly [number, number];
}

const ACKS: PropertyContext[] = ["ack"];
const MESSAGE: PropertyContext[] = ["publish", "will"];

/** Every property of 2.2.2.2, with the packets that may carry it. */
export const SPECS: readonly Spec[] = [
  { id: 0x01, name: "payloadFormatIndicator", kind: "byte", in: MESSAGE, range: [0, 1] },
  { id: 0x02, name: "messageExpiryInterval", kind: "u32", in: MESSAGE },
  { id: 0x03, name: "contentType", kind: "utf8", in: MESSAGE },
  { id: 0x08, name: "responseTopic", kind: "utf8", in: MESSAGE },
  { id: 0x09, name: "correlationData", kind: "binary", in: MESSAGE },
  {
    id: 0x0b,
    name: "subscriptionIdentifiers",
    kind: "varint",
    in: ["publish", "subscribe"],
    range: [1, 268_435_455],
  },
  {
    id: 0x11,
    name: "sessionExpiryInterval",
    kind: "u32",
    in: ["connect", "connack", "disconnect"],
  },
  { id: 0x12, name: "assignedClientIdentifier", kind: "utf8", in: ["connack"] },
  { id: 0x13, name: "serverKeepAlive", kind: "u16", in: ["connack"] },
  { id: 0x15, name: "authenticationMethod", kind: "utf8", in: ["connect", "connack", "auth"] },
  { id: 0x16, name: "authenticationData", kind: "binary", in: ["connect", "connack", "auth"] },
  { id: 0x17, name: "requestProblemInformation", kind: "byte", in: ["connect"], range: [0, 1] },
  { id: 0x18, name: "willDelayInterval", kind: "u32", in: ["will"] },
  { id: 0x19, name: "requestResponseInformation", kind: "byte", in: ["connect"], range: [0, 1] },
  { id: 0x1a, name: "responseInformation", kind: "utf8", in: ["connack"] },
  { id: 0x1c, name: "serverReference", kind: "utf8", in: ["connack", "disconnect"] },
  {
    id: 0x1f,
    name: "reasonString",
    kind: "utf8",
    in: ["connack", ...ACKS, "suback", "unsuback", "disconnect", "auth"],
  },
  { id: 0x21, name: "receiveMaximum", kind: "u16", in: ["connect", "connack"], range: [1, 65535] },
  { id: 0x22, name: "topicAliasMaximum", kind: "u16", in: ["connect", "connack"] },
  // A Topic Alias of 0 is refused by the PUBLISH handler (DISCONNECT 0x94), not here.
  { id: 0x23, name: "topicAlias", kind: "u16", in: ["publish"] },
  { id: 0x24, name: "maximumQos", kind: "byte", in: ["connack"], range: [0, 1] },
  { id: 0x25, name: "retainAvailable", kind: "byte", in: ["connack"], range: [0, 1] },
  {
    id: 0x26,
    name: "userProperties",
    kind: "pair",
    in: [
      "connect",
      "will",
      "connack",
      "publish",
      ...ACKS,
      "subscribe",
      "suback",
      "unsubscribe",
      "unsuback",
      "disconnect",
      "auth",
    ],
  },
  {
    id: 0x27,
    name: "maximumPacketSize",
    kind: "u32",
    in: ["connect", "connack"],
    range: [1, 0xffffffff],
  },
  { id: 0x28, name: "wildcardSubscriptionAvailable", kind: "byte", in: ["connack"], range: [0, 1] },
  {
    id: 0x29,
    name: "subscriptionIdentifierAvailable",
    kind: "byte",
    in: ["connack"],
    range: [0, 1],
  },
  { id: 0x2a, name: "sharedSubscriptionAvailable", kind: "byte", in: ["connack"], range: [0, 1] },
];

export const BY_ID = new Map(SPECS.map((s) => [s.id, s]));
