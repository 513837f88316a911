// Outcomes are named with MQTT 5's reason codes (2.4), the richer vocabulary, everywhere in
// jetmq; a connection of MQTT 3.1.1 or 3.1 gets them mapped down to its return codes when its
// packets are encoded (see v3ConnackCode, v3SubackCode).

export const Reason = {
  success: 0x00,
  grantedQos1: 0x01,
  grantedQos2: 0x02,
  disconnectWithWill: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  banned: 0x8a,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierInUse: 0x91,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  messageRateTooHigh: 0x96,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
  qosNotSupported: 0x9b,
  useAnotherServer: 0x9c,
  serverMoved: 0x9d,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
  maximumConnectTime: 0xa0,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/**
 * The CONNACK return code of MQTT 3.1.1 (3.2.2.3) for a reason: the nearest of its five
 * refusals, as the MQTT 5 specification's own table of equivalents gives them.
 */
export function v3ConnackCode(reason: number): number {
  switch (reason) {
    case Reason.success:
      return 0;
    case Reason.unsupportedProtocolVersion:
      return 1;
    case Reason.clientIdentifierNotValid:
      return 2;
    case Reason.badUserNameOrPassword:
      return 4;
    case Reason.notAuthorized:
    case Reason.banned:
      return 5;
    default:
      return 3; // server unavailable
  }
}

/** The SUBACK return code of MQTT 3.1.1: the granted QoS, or 0x80 for any refusal. */
export function v3SubackCode(reason: number): number {
  return reason < 0x80 ? reason : 0x80;
}
