import { batchWrites } from "./write_batching.ts";
import { parseFaster } from "./fast_parsing.ts";
import { readFileSync } from "node:fs";
import {
  type Authenticator,
  connect,
  type ConnectionOptions,
  credsAuthenticator,
  errors,
  type NatsConnection,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { INBOX_PREFIX } from "./names.ts";

/** How to reach and authenticate to NATS; user and password or a token go in the URLs. */
export interface NatsAccess {
  /** One or more URLs, comma-separated (every server of a cluster, ideally). */
  readonly url: string;
  readonly credsFile?: string | null;
  readonly nkeySeedFile?: string | null;
  readonly tlsCaFile?: string | null;
  readonly tlsCertFile?: string | null;
  readonly tlsKeyFile?: string | null;
}

export interface NatsOptions extends NatsAccess {
  readonly name: string;
  readonly apiTimeoutMs: number;
  readonly log: Logger;
  /** NATS sends the connection's own publishes back to it (off: no_echo). */
  readonly echo?: boolean;
}

/** The servers of a comma-separated URL list, as nats.js takes them. */
export const natsServers = (url: string): string[] =>
  url.split(",").map((u) => u.trim()).filter(Boolean);

/** Connection options for NATS: credentials, TLS, and the URLs with what they carry. */
export function accessOptions(access: NatsAccess): Partial<ConnectionOptions> {
  const authenticator: Authenticator[] = [];
  if (access.credsFile) authenticator.push(credsAuthenticator(readFileSync(access.credsFile)));
  if (access.nkeySeedFile) {
    const seed = readFileSync(access.nkeySeedFile, "utf8").trim();
    authenticator.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  const tls = access.tlsCaFile || access.tlsCertFile
    ? {
      ...(access.tlsCaFile ? { caFile: access.tlsCaFile } : {}),
      ...(access.tlsCertFile ? { certFile: access.tlsCertFile } : {}),
      ...(access.tlsKeyFile ? { keyFile: access.tlsKeyFile } : {}),
    }
    : undefined;
  return {
    servers: natsServers(access.url),
    ...urlCredentials(access.url),
    ...(authenticator.length > 0 ? { authenticator } : {}),
    ...(tls ? { tls } : {}),
  };
}

/**
 * `nats://user:password@host` and `nats://token@host`, as other NATS clients take them: the
 * client library here ignores credentials in URLs, so they become options.
 */
function urlCredentials(url: string): Partial<ConnectionOptions> {
  for (const server of natsServers(url)) {
    let parsed: URL;
    try {
      parsed = new URL(server.includes("://") ? server : `nats://${server}`);
    } catch {
      continue;
    }
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    if (user && pass) return { user, pass };
    if (user) return { token: user };
  }
  return {};
}

/**
 * Connects to NATS and checks that JetStream answers. A server that does not run JetStream at
 * all is a setup error; one whose JetStream does not answer yet (a cluster forming or electing)
 * throws what it said, for the start-up loop to try again.
 */
export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...accessOptions(opts),
      name: opts.name,
      inboxPrefix: INBOX_PREFIX,
      // Local subscribers get this instance's own publishes directly (Bus.onLocalPublish);
      // shared subscriptions' queue groups need NATS to choose among every member, ours too.
      noEcho: opts.echo !== true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: opts.apiTimeoutMs,
    });
  } catch (cause) {
    // Wrong credentials stay wrong: no point in waiting for them to work.
    if (cause instanceof errors.AuthorizationError) {
      throw new NatsSetupError(
        `NATS at "${redact(opts.url)}" refused jetmq's credentials: ${cause.message}`,
        {},
        { cause },
      );
    }
    throw new NatsSetupError(`Cannot connect to NATS at "${redact(opts.url)}"`, {}, { cause });
  }
  if (nc.info?.jetstream !== true) {
    await nc.close();
    throw new NatsSetupError(
      `JetStream is not enabled on NATS at "${redact(opts.url)}": start nats-server with -js ` +
        `(or "jetstream {}" in its config)`,
    );
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: opts.apiTimeoutMs });
    await jsm.getAccountInfo();
  } catch (err) {
    await nc.close();
    throw err;
  }
  if (!batchWrites(nc)) {
    opts.log.warn("nats.writes_unbatched", {
      reason: "the NATS client library is not the version jetmq knows (nats.js 3.x)",
      action: "none: one write to NATS per client event, slower under load",
    });
  }
  if (!parseFaster(nc)) {
    opts.log.warn("nats.parser_kept", {
      reason: "the NATS client library is not the version jetmq knows (nats.js 3.x)",
      action: "none: the library's own parser reads NATS, slower under load",
    });
  }
  watchStatus(nc, opts.log);
  return nc;
}

/** A URL list without the passwords and tokens it may carry, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/,]*@/g, "//***@");
}

function watchStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
        log.warn(`nats.${s.type}`, { server: "server" in s ? s.server : undefined });
      }
    }
  })();
}
