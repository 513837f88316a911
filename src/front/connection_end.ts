import { type ClosedEvent, connectionClosed } from "../../handlers/connection_closed.ts";
import type { HandlerContext, SessionEnding } from "../../handlers/types.ts";
import type { ClientDelivery } from "../delivery/client_delivery.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { SessionRef } from "../mqtt/session.ts";

/**
 * How a connection is closing when it is more than lost: the client's DISCONNECT, a drain.
 * Made as that happens, so an open connection carries one empty field for it.
 */
export interface Closing {
  /** The client sent DISCONNECT. */
  readonly graceful?: boolean;
  /** What an MQTT 5 DISCONNECT said of the session. */
  readonly ending?: SessionEnding | null;
  /** A drain sent it away: its will waits this long for it to connect again. */
  readonly willDelayMs?: number;
}

/** What the end of a connection reads of it. */
export interface EndingConnection {
  readonly id: string;
  readonly clientId: string | undefined;
  readonly session: SessionRef | null;
  readonly delivery: ClientDelivery | null;
  readonly closeReason: string | null;
  readonly transport: { readonly remoteAddress: string };
  readonly msgsIn: number;
  readonly msgsOut: number;
  readonly droppedMessages: number;
}

/** The session of a connection that has ended is dealt with; a failure is logged, not thrown. */
export async function endSession(
  c: EndingConnection,
  closing: Closing | null,
  ctx: HandlerContext,
  log: Logger,
): Promise<void> {
  try {
    await connectionClosed(closedEvent(c, closing), ctx);
  } catch (err) {
    log.error("handler.failed", { cmd: "closed", connection: c.id, ...describeError(err) });
  }
}

function closedEvent(c: EndingConnection, closing: Closing | null): ClosedEvent {
  return {
    reason: c.closeReason ?? "Connection lost",
    graceful: closing?.graceful === true,
    ...closing?.ending,
    willDelayMs: closing?.willDelayMs ?? 0,
    settled: (c.delivery?.inFlight ?? 0) === 0,
    ...(c.session?.clean && c.delivery ? { shares: c.delivery.sharedFilters } : {}),
  };
}

/** The line that says a connection is over, with what went through it. */
export function logClosed(c: EndingConnection, log: Logger): void {
  log.info("client.closed", {
    clientId: c.clientId,
    connection: c.id,
    remote: c.transport.remoteAddress,
    reason: c.closeReason ?? "Connection lost",
    msgsIn: c.msgsIn,
    msgsOut: c.msgsOut,
    dropped: c.droppedMessages,
  });
}
