import { readFileSync } from "node:fs";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Accept, Listener, Runtime, TlsSettings } from "../runtime/types.ts";
import { proxyPreface } from "./proxy_preface.ts";
import { mqttOverWebSocket } from "./ws.ts";

/** The MQTT listeners of an instance; a port is null when that listener is off. */
export interface Listeners {
  readonly tcpPort: number | null;
  readonly tlsPort: number | null;
  readonly wsPort: number;
  stop(): Promise<void>;
}

/** TLS settings from the config's files, or undefined when TLS is off. */
function tlsSettings(config: Config): TlsSettings | undefined {
  if (config.tlsCert === null || config.tlsKey === null) return undefined;
  return {
    cert: readFileSync(config.tlsCert, "utf8"),
    key: readFileSync(config.tlsKey, "utf8"),
    ca: config.tlsCa === null ? null : readFileSync(config.tlsCa, "utf8"),
  };
}

/** Opens TCP, TLS and WebSocket listeners as configured; every one hands sockets to `accept`. */
export async function openListeners(
  config: Config,
  runtime: Runtime,
  log: Logger,
  accept: Accept,
): Promise<Listeners> {
  const tls = tlsSettings(config);
  const host = config.host;
  const preface = config.proxyProtocol
    ? proxyPreface(config.proxyTrusted, config.connectTimeoutMs, log)
    : undefined;
  const tcp = tls && config.tlsOnly
    ? null
    : await runtime.listenTcp({ host, port: config.port, preface }, accept);
  const secure = tls
    ? await runtime.listenTcp({ host, port: config.tlsPort, tls, preface }, accept)
    : null;
  const ws = await runtime.serveHttp(
    { host, port: config.wsPort, tls: config.wsTls ? tls : undefined },
    mqttOverWebSocket(accept, config.proxyTrusted),
  );
  const all = [tcp, secure, ws].filter((l): l is Listener => l !== null);
  return {
    tcpPort: tcp?.port ?? null,
    tlsPort: secure?.port ?? null,
    wsPort: ws.port,
    stop: async () => void await Promise.all(all.map((l) => l.stop())),
  };
}
