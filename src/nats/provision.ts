import type { NatsConnection } from "@nats-io/transport-node";
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Bucket } from "./bucket.ts";
import { InboxRequests } from "./inbox_requests.ts";
import { JsApi } from "./js_api.ts";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  BUCKETS,
  INSTANCES_BUCKET,
  MESSAGES_STREAM,
  MESSAGES_SUBJECTS,
  QOS2_IN_BUCKET,
  QOS2_OUT_BUCKET,
  RETAINED_STREAM,
  RETAINED_SUBJECTS,
  SESSIONS_BUCKET,
  SHARES_BUCKET,
  WILLS_BUCKET,
} from "./names.ts";

/** Handles on every bucket and stream jetmq uses, all verified at start-up. */
export interface StoreHandles {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The hot-path JetStream calls, pipelined (see JsApi). */
  api: JsApi;
  sessions: Bucket;
  instances: Bucket;
  wills: Bucket;
  qos2In: Bucket;
  qos2Out: Bucket;
  shares: Bucket;
  replicas: number;
}

export interface ProvisionOptions {
  replicas: number | "auto";
  apiTimeoutMs: number;
  log: Logger;
}

/** Creates or verifies jetmq's buckets and streams before any client is accepted. */
export async function provisionStore(
  nc: NatsConnection,
  opts: ProvisionOptions,
): Promise<StoreHandles> {
  const js = jetstream(nc, { timeout: opts.apiTimeoutMs });
  const jsm = await jetstreamManager(nc, { timeout: opts.apiTimeoutMs });
  const replicas = opts.replicas === "auto" ? autoReplicas(nc, opts.log) : opts.replicas;
  const kvm = new Kvm(js);
  const api = new JsApi(new InboxRequests(nc, opts.apiTimeoutMs));
  const bucket = async (name: string, watched = false) => {
    const kv = await kvm.create(name, { history: 1, replicas, storage: StorageType.File });
    // A direct get may be answered by a follower that has not applied the latest write yet:
    // with replicas, reads go to the leader, so that a QoS 2 message held a moment ago is
    // found at its PUBREL and a session record just written is the one read back.
    const direct = replicas === 1 && (kv as { direct?: boolean }).direct !== false;
    return new Bucket(kv, name, api, opts.log, watched, direct);
  };
  const sessions = await bucket(SESSIONS_BUCKET);
  const instances = await bucket(INSTANCES_BUCKET, true);
  const wills = await bucket(WILLS_BUCKET, true);
  const qos2In = await bucket(QOS2_IN_BUCKET);
  const qos2Out = await bucket(QOS2_OUT_BUCKET);
  const shares = await bucket(SHARES_BUCKET);
  await ensureStream(jsm, {
    name: MESSAGES_STREAM,
    subjects: [MESSAGES_SUBJECTS],
    retention: RetentionPolicy.Interest,
    storage: StorageType.File,
    num_replicas: replicas,
  });
  // One message per topic; a newer one replaces it [MQTT-3.3.1-5].
  await ensureStream(jsm, {
    name: RETAINED_STREAM,
    subjects: [RETAINED_SUBJECTS],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: 1,
    storage: StorageType.File,
    num_replicas: replicas,
  });
  opts.log.info("store.ready", {
    replicas,
    buckets: BUCKETS,
    streams: [MESSAGES_STREAM, RETAINED_STREAM],
  });
  return { js, jsm, api, sessions, instances, wills, qos2In, qos2Out, shares, replicas };
}

const probes = new WeakMap<NatsConnection, JetStreamManager>();

/**
 * A probe of the store for readiness: null when JetStream answers for the messages stream and
 * the sessions bucket within `timeoutMs` (the two every client needs), else what does not.
 */
export async function probeStore(nc: NatsConnection, timeoutMs: number): Promise<string | null> {
  if (nc.isClosed() || nc.isDraining()) return "NATS connection closed";
  try {
    let jsm = probes.get(nc);
    if (!jsm) {
      jsm = await jetstreamManager(nc, { timeout: timeoutMs, checkAPI: false });
      probes.set(nc, jsm);
    }
    await jsm.streams.info(MESSAGES_STREAM);
    await jsm.streams.info(`KV_${SESSIONS_BUCKET}`);
    return null;
  } catch (err) {
    return `JetStream not ready: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Replicas for `stream_replicas: auto`: 1 on a single server, min(members, 3) in a cluster. A
 * cluster that does not advertise its members (no_advertise) is taken to have three, with a
 * warning: replicas 1 in a cluster would lose data with one node, and say nothing.
 */
function autoReplicas(nc: NatsConnection, log: Logger): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  const members = new Set(info.connect_urls ?? []).size;
  if (members >= 2) return Math.min(3, members);
  log.warn("store.replicas_assumed", {
    replicas: 3,
    cluster: info.cluster,
    reason: "The NATS cluster does not advertise its servers: set stream_replicas to be sure",
  });
  return 3;
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; subjects: string[] },
): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    const expected = config.subjects[0] ?? "";
    if (!info.config.subjects?.includes(expected)) {
      throw new NatsSetupError(
        `Stream "${config.name}" exists with subjects ${JSON.stringify(info.config.subjects)}, ` +
          `expected "${expected}"`,
        { subject: expected },
      );
    }
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) {
      throw err;
    }
    await jsm.streams.add(config);
  }
}
