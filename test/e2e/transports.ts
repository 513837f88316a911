import type { TestBroker } from "../helpers/broker.ts";
import { testCerts } from "../helpers/certs.ts";

/** The transports the end-to-end suites run over: one suite, every transport. */
export interface TransportCase {
  readonly name: string;
  url(broker: TestBroker): string;
}

export const TRANSPORTS: readonly TransportCase[] = [
  { name: "tcp", url: (b) => `mqtt://127.0.0.1:${b.port}` },
  { name: "tls", url: (b) => `mqtts://127.0.0.1:${b.tlsPort}` },
  { name: "ws", url: (b) => `ws://127.0.0.1:${b.wsPort}/mqtt` },
];

/** Broker options that turn every transport of TRANSPORTS on. */
export function allTransports(): Record<string, string> {
  const certs = testCerts();
  return { tls_cert: certs.certFile, tls_key: certs.keyFile };
}
