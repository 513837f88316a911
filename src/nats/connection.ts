import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsSetupError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { INBOX_PREFIX } from "./names.ts";

export interface NatsOptions {
  url: string;
  name: string;
  apiTimeoutMs: number;
  log: Logger;
}

/** Connects to NATS and checks that JetStream answers; a clear error when it does not. */
export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.url,
      name: opts.name,
      inboxPrefix: INBOX_PREFIX,
      // Local subscribers get this instance's own publishes directly (Bus.onLocalPublish).
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: opts.apiTimeoutMs,
    });
  } catch (cause) {
    throw new NatsSetupError(`Cannot connect to NATS at "${opts.url}"`, {}, { cause });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: opts.apiTimeoutMs });
    await jsm.getAccountInfo();
  } catch (cause) {
    await nc.close();
    throw new NatsSetupError(
      `JetStream is not enabled on NATS at "${opts.url}": start nats-server with -js ` +
        `(or "jetstream {}" in its config)`,
      {},
      { cause },
    );
  }
  watchStatus(nc, opts.log);
  return nc;
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
