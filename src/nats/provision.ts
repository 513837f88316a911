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
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { MESSAGES_STREAM, MESSAGES_SUBJECTS, SESSIONS_BUCKET } from "./names.ts";

/** Handles on every bucket and stream jetmq uses, all verified at start-up. */
export interface StoreHandles {
  js: JetStreamClient;
  jsm: JetStreamManager;
  sessions: KV;
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
  const replicas = opts.replicas === "auto" ? autoReplicas(nc) : opts.replicas;
  const sessions = await new Kvm(js).create(SESSIONS_BUCKET, {
    history: 1,
    replicas,
    storage: StorageType.File,
  });
  await ensureStream(jsm, MESSAGES_STREAM, MESSAGES_SUBJECTS, replicas);
  opts.log.info("store.ready", { replicas, bucket: SESSIONS_BUCKET, stream: MESSAGES_STREAM });
  return { js, jsm, sessions, replicas };
}

/** Null when NATS answers for every stream and bucket jetmq needs, else what does not. */
export async function checkStore(nc: NatsConnection, store: StoreHandles): Promise<string | null> {
  if (nc.isClosed() || nc.isDraining()) return "NATS connection closed";
  try {
    await store.jsm.streams.info(MESSAGES_STREAM);
    await store.sessions.status();
    return null;
  } catch (err) {
    return `JetStream not ready: ${err instanceof Error ? err.message : String(err)}`;
  }
}

// A cluster advertises its members' client URLs; a single server advertises none.
function autoReplicas(nc: NatsConnection): number {
  const members = nc.info?.connect_urls?.length ?? 0;
  return Math.min(3, Math.max(1, members));
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string,
  replicas: number,
): Promise<void> {
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects?.includes(subjects)) {
      throw new NatsSetupError(
        `Stream "${name}" exists with subjects ${JSON.stringify(info.config.subjects)}, ` +
          `expected "${subjects}"`,
        { subject: subjects },
      );
    }
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) {
      throw err;
    }
    await jsm.streams.add({
      name,
      subjects: [subjects],
      retention: RetentionPolicy.Interest,
      storage: StorageType.File,
      num_replicas: replicas,
    });
  }
}
