import type { HandlerContext, QosPolicy, SessionRef } from "../../handlers/types.ts";
import type { AuthContext } from "../auth/auth_context.ts";
import type { Config } from "../config.ts";
import type { Fanout } from "../delivery/fanout.ts";
import type { Logger } from "../log.ts";
import type { Bus } from "../nats/bus.ts";
import type { SessionConsumers } from "../nats/consumers.ts";
import type { Leases } from "../nats/leases.ts";
import type { Qos2Store } from "../nats/qos2.ts";
import type { RetainedStore } from "../nats/retained.ts";
import type { SessionStore } from "../nats/sessions.ts";
import type { Stats } from "../stats.ts";
import type { Connection } from "./connection.ts";
import type { Registry } from "./registry.ts";

/** What every connection of an instance shares. */
export interface ConnectionDeps {
  readonly config: Config;
  readonly instanceId: string;
  readonly sessions: SessionStore;
  readonly consumers: SessionConsumers;
  readonly retained: RetainedStore;
  readonly leases: Leases;
  readonly qos2: Qos2Store;
  readonly policy: QosPolicy;
  readonly auth: AuthContext;
  readonly bus: Bus;
  readonly fanout: Fanout;
  readonly registry: Registry<Connection>;
  readonly stats: Stats;
  readonly log: Logger;
  readonly onEnded: (conn: Connection) => void;
}

/** The context handlers get, for a connection or (without one) for instance-wide events. */
export function handlerContext(
  deps: ConnectionDeps,
  connectionId: string,
  remoteAddress: string,
  session: SessionRef | null,
): HandlerContext {
  return {
    instanceId: deps.instanceId,
    connectionId,
    remoteAddress,
    session,
    sessions: deps.sessions,
    consumers: deps.consumers,
    leases: deps.leases,
    bus: deps.bus,
    maxAckPending: deps.config.maxAckPending,
    qos2: deps.qos2,
    policy: deps.policy,
    auth: deps.auth,
    log: deps.log,
  };
}
