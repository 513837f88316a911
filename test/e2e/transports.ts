import type { TestBroker } from "../helpers/broker.ts";

/** The transports the end-to-end suites run over; WebSocket and TLS join this list. */
export interface TransportCase {
  readonly name: string;
  url(broker: TestBroker): string;
}

export const TRANSPORTS: readonly TransportCase[] = [
  { name: "tcp", url: (b) => `mqtt://127.0.0.1:${b.port}` },
];
