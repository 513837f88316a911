import { readFileSync } from "node:fs";
import type { TLSOptions } from "bun";
import type { Config } from "../config.ts";
import { listenTcp, type TransportPeer } from "./tcp.ts";
import type { Transport } from "./transport.ts";
import { listenWs } from "./ws.ts";

/** The MQTT listeners of an instance; a port is null when that listener is off. */
export interface Listeners {
  readonly tcpPort: number | null;
  readonly tlsPort: number | null;
  readonly wsPort: number;
  stop(): void;
}

/** TLS settings from the config: client certificates are required when a CA is given. */
function tlsOptions(config: Config): TLSOptions | undefined {
  if (config.tlsCert === null || config.tlsKey === null) return undefined;
  const ca = config.tlsCa === null ? undefined : readFileSync(config.tlsCa, "utf8");
  return {
    cert: readFileSync(config.tlsCert, "utf8"),
    key: readFileSync(config.tlsKey, "utf8"),
    ca,
    requestCert: ca !== undefined,
    rejectUnauthorized: ca !== undefined,
  };
}

/** Opens TCP, TLS and WebSocket listeners as configured; every one hands sockets to `accept`. */
export function openListeners(config: Config, accept: (t: Transport) => TransportPeer): Listeners {
  const tls = tlsOptions(config);
  const tcp = tls && config.tlsOnly ? null : listenTcp(config.host, config.port, accept);
  const secure = tls ? listenTcp(config.host, config.tlsPort, accept, tls) : null;
  const ws = listenWs(config.host, config.wsPort, config.wsTls ? tls : undefined, accept);
  return {
    tcpPort: tcp?.port ?? null,
    tlsPort: secure?.port ?? null,
    wsPort: ws.port,
    stop() {
      tcp?.stop();
      secure?.stop();
      ws.stop();
    },
  };
}
