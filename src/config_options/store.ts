import type { OptionSpec } from "./spec.ts";

/** What jetmq keeps in JetStream, and how it asks. */
export const STORE_OPTIONS = [
  {
    key: "stream_replicas",
    field: "streamReplicas",
    kind: "replicas",
    fallback: "auto",
    help: "replicas of jetmq's streams and buckets (auto: min(cluster size, 3))",
  },
  {
    key: "js_api_timeout",
    field: "jsApiTimeoutMs",
    kind: "duration",
    fallback: "5s",
    help: "timeout of JetStream API calls",
  },
  {
    key: "store_retry",
    field: "storeRetryMs",
    kind: "duration",
    fallback: "30s",
    help:
      "a QoS 1/2 or retained store, or a session's consumer, is retried this long (elections) before its client is closed",
  },
  {
    key: "ack_wait",
    field: "ackWaitMs",
    kind: "duration",
    fallback: "30s",
    help: "time a QoS 1 delivery waits for PUBACK before it is sent again with DUP",
  },
  {
    key: "max_ack_pending",
    field: "maxAckPending",
    kind: "count",
    fallback: "1024",
    help: "unacknowledged QoS 1 messages per subscription (a session's sum at most 65535)",
  },
  {
    key: "max_shared_inflight",
    field: "maxSharedInflight",
    kind: "count",
    fallback: "64",
    help:
      "QoS 1/2 messages of shared subscriptions a 3.1.1 member holds unacknowledged at most; more go to other members (MQTT 5 members: their Receive Maximum)",
  },
  {
    key: "retained_cache",
    field: "retainedCacheBytes",
    kind: "optionalSize",
    fallback: "64MiB",
    help:
      "retained messages each instance keeps in memory for wildcard SUBSCRIBEs (more: read from the stream); 0: off",
  },
  {
    key: "lease_ttl",
    field: "leaseTtlMs",
    kind: "duration",
    fallback: "15s",
    help: "an instance silent this long is dead and another publishes its clients' wills " +
      "(only judged while the judge's own renewals work: elections cause no wills)",
  },
  {
    key: "reject_qos2_publish",
    field: "rejectQos2Publish",
    kind: "bool",
    fallback: "false",
    help: "close clients that PUBLISH at QoS 2, as nats-server 2.9 does",
  },
  {
    key: "downgrade_qos2_subscriptions",
    field: "downgradeQos2Subscriptions",
    kind: "bool",
    fallback: "false",
    help: "grant QoS 1 to QoS 2 subscriptions, as nats-server 2.9 does",
  },
] as const satisfies readonly OptionSpec[];
