import type { NatsConnection } from "@nats-io/transport-node";

/** What the policy needs of a connection. */
export interface LinkDependent {
  readonly delivery: { readonly dependsOnNatsLink: boolean } | null;
  shutdown(reason: string): void;
}

/**
 * QoS 1 to a clean session is at least once only while this instance's NATS link holds: when it
 * drops, such clients are closed and reconnect, rather than miss messages unawares.
 */
export function closeOnNatsLoss(
  nc: NatsConnection,
  connections: () => Iterable<LinkDependent>,
): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== "disconnect") continue;
      for (const conn of connections()) {
        if (conn.delivery?.dependsOnNatsLink) {
          conn.shutdown("NATS connection lost: QoS 1 of a clean session");
        }
      }
    }
  })();
}
