import type { OptionSpec } from "./spec.ts";

/** The MQTT protocol's limits and MQTT 5's settings. */
export const MQTT_OPTIONS = [
  {
    key: "max_packet_size",
    field: "maxPacketSize",
    kind: "size",
    fallback: "1MiB",
    help: "largest MQTT packet accepted, in bytes (suffixes KiB, MiB)",
  },
  {
    key: "mqtt5",
    field: "mqtt5",
    kind: "bool",
    fallback: "true",
    help: "accept MQTT 5 clients (false: refused with CONNACK 0x01, as by a 3.1.1 server)",
  },
  {
    key: "max_session_expiry",
    field: "maxSessionExpiry",
    kind: "limit",
    fallback: "0",
    help:
      "seconds a disconnected session is kept at most (MQTT 5 Session Expiry Interval; 3.1.1 clean=0 asks for ever); 0: no limit",
  },
  {
    key: "server_reference",
    field: "serverReference",
    kind: "text",
    fallback: "",
    help:
      "where a drain sends MQTT 5 clients (DISCONNECT 0x9C with this Server Reference); empty: 0x8B, no reference",
  },
  {
    key: "max_keepalive",
    field: "maxKeepalive",
    kind: "limit",
    fallback: "0",
    help:
      "longest keepalive, seconds, for MQTT 5 clients (told in CONNACK as Server Keep Alive; 0: the client's own)",
  },
  {
    key: "topic_alias_maximum",
    field: "topicAliasMaximum",
    kind: "limit",
    fallback: "64",
    help: "topic aliases an MQTT 5 client may set per connection (0: none)",
  },
  {
    key: "shared_subscriptions_v3",
    field: "sharedSubscriptionsV3",
    kind: "bool",
    fallback: "true",
    help:
      "MQTT 3.1.1/3.1 clients may use $share/{group}/{filter} too (false: such a filter is an ordinary one); MQTT 5 clients always may",
  },
  {
    key: "max_pending_bytes",
    field: "maxPendingBytes",
    kind: "size",
    fallback: "1MiB",
    help: "outbound bytes buffered per client before QoS 0 messages are dropped",
  },
  {
    key: "connect_timeout",
    field: "connectTimeoutMs",
    kind: "duration",
    fallback: "10s",
    help: "time a new connection has to send CONNECT",
  },
] as const satisfies readonly OptionSpec[];
