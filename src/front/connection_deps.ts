import type { HandlerContext, Limits, SessionContext } from "../../handlers/types.ts";
import type { AuthContext } from "../auth/auth_context.ts";
import type { Config } from "../config.ts";
import type { Fanout } from "../delivery/fanout.ts";
import type { Logger } from "../log.ts";
import type { SessionRef } from "../mqtt/session.ts";
import type { Bus } from "../nats/bus.ts";
import type { SessionConsumers } from "../nats/consumers.ts";
import type { Leases } from "../nats/leases.ts";
import type { Qos2Store } from "../nats/qos2.ts";
import type { Qos2Port } from "../../handlers/ports.ts";
import { qos2PortFor } from "./connection_qos2.ts";
import type { RetainedStore } from "../nats/retained.ts";
import type { SessionStore } from "../nats/sessions.ts";
import type { Takeovers } from "../nats/takeovers.ts";
import type { Stats } from "../stats.ts";
import type { Bindable, Registry } from "./registry.ts";

/** What every connection of an instance shares. */
export interface ConnectionDeps {
  readonly config: Config;
  readonly instanceId: string;
  readonly limits: Limits;
  readonly sessions: SessionStore;
  readonly consumers: SessionConsumers;
  readonly retained: RetainedStore;
  readonly leases: Leases;
  readonly qos2: Qos2Store;
  readonly takeovers: Takeovers;
  readonly auth: AuthContext;
  readonly bus: Bus;
  readonly fanout: Fanout;
  readonly registry: Registry<Bindable>;
  readonly stats: Stats;
  readonly log: Logger;
}

/** The handlers' settings, made once per instance from the config. */
export function limitsOf(config: Config): Limits {
  return Object.freeze({
    maxAckPending: config.maxAckPending,
    maxGrantedQos: config.downgradeQos2Subscriptions ? 1 : 2,
    rejectQos2Publish: config.rejectQos2Publish,
    maxConnections: config.maxConnections,
    maxClientIdLength: config.maxClientIdLength,
    mqtt5: config.mqtt5,
    maxSessionExpiry: config.maxSessionExpiry,
    topicAliasMaximum: config.topicAliasMaximum,
    sharedSubscriptionsV3: config.sharedSubscriptionsV3,
    maxKeepalive: config.maxKeepalive,
    maxPacketSize: config.maxPacketSize,
  });
}

/** What every context of an instance shares, made once and kept with the deps. */
const shared = new WeakMap<ConnectionDeps, Omit<HandlerContext, PerConnection>>();
type PerConnection = "connectionId" | "remoteAddress" | "session";

function sharedOf(deps: ConnectionDeps): Omit<HandlerContext, PerConnection> {
  let base = shared.get(deps);
  if (!base) {
    base = Object.freeze({
      instanceId: deps.instanceId,
      sessions: deps.sessions,
      consumers: deps.consumers,
      wills: deps.leases,
      bus: deps.bus,
      takeovers: deps.takeovers,
      qos2: deps.qos2,
      admission: deps.auth,
      limits: deps.limits,
      log: deps.log,
      now: Date.now,
    });
    shared.set(deps, base);
  }
  return base;
}

/**
 * The context handlers get, for a connection or (without one) for instance-wide events. Its
 * per-connection fields sit on an object whose prototype holds the instance's: a connection
 * pays for three fields, not fourteen (an instance holds tens of thousands of them).
 */
export function handlerContext(
  deps: ConnectionDeps,
  connectionId: string,
  remoteAddress: string,
  session: SessionRef | null,
): HandlerContext {
  const ctx = Object.create(sharedOf(deps)) as { -readonly [K in PerConnection]: unknown };
  ctx.connectionId = connectionId;
  ctx.remoteAddress = remoteAddress;
  ctx.session = session;
  return ctx as HandlerContext;
}

/** What a session's context asks its connection. */
export interface SubscriptionLookup {
  subscribed(filter: string): boolean;
}

/** The prototypes of an instance's session contexts, made once and kept with the deps. */
const sessionShared = new WeakMap<ConnectionDeps, { persistent: object; clean: object }>();

type SessionFields = { -readonly [K in PerConnection]: unknown } & {
  lookup: SubscriptionLookup;
  session: SessionRef;
};

function sessionSharedOf(deps: ConnectionDeps): { persistent: object; clean: object } {
  let protos = sessionShared.get(deps);
  if (!protos) {
    const base = sharedOf(deps);
    const subscribed = {
      value(this: SessionFields, filter: string): boolean {
        return this.lookup.subscribed(filter);
      },
    };
    protos = {
      persistent: Object.freeze(Object.create(base, { subscribed })),
      clean: Object.freeze(Object.create(base, {
        subscribed,
        // A session that ends with its connection holds its inbound QoS 2 messages there, in
        // a port made on first use (most connections never publish at QoS 2). Defined on the
        // context, not assigned: the instance-wide one is read-only on the frozen prototype.
        qos2: {
          get(this: SessionFields): Qos2Port {
            const port = qos2PortFor(deps.qos2, this.session, this.connectionId as string);
            Object.defineProperty(this, "qos2", { value: port });
            return port;
          },
        },
      })),
    };
    sessionShared.set(deps, protos);
  }
  return protos;
}

/** The context of a connection whose session is bound. */
export function sessionContext(
  deps: ConnectionDeps,
  connectionId: string,
  remoteAddress: string,
  session: SessionRef,
  lookup: SubscriptionLookup,
): SessionContext {
  const protos = sessionSharedOf(deps);
  const ctx = Object.create(session.clean ? protos.clean : protos.persistent) as SessionFields;
  ctx.connectionId = connectionId;
  ctx.remoteAddress = remoteAddress;
  ctx.session = session;
  ctx.lookup = lookup;
  return ctx as unknown as SessionContext;
}
