import { filterCovers, topicMatches } from "./filter_match.ts";

/** Allow and deny lists in MQTT filter syntax, as written in the users file. */
export interface RuleSpec {
  allow?: string[];
  deny?: string[];
}

export interface PermissionSpec {
  publish?: RuleSpec;
  subscribe?: RuleSpec;
}

class Rules {
  constructor(readonly allow: readonly string[] | null, readonly deny: readonly string[]) {}

  /** A concrete topic: some allow rule matches (or there is no allow list) and no deny rule. */
  permits(topic: string): boolean {
    if (this.deny.some((d) => topicMatches(d, topic))) return false;
    return this.allow === null || this.allow.some((a) => topicMatches(a, topic));
  }

  /**
   * A filter: inside some allow rule and not wholly inside a deny rule. A filter that only
   * partly overlaps a deny rule is granted; the denied topics are filtered at delivery.
   */
  permitsFilter(filter: string): boolean {
    if (this.deny.some((d) => filterCovers(d, filter))) return false;
    return this.allow === null || this.allow.some((a) => filterCovers(a, filter));
  }

  /** True when delivery must check each topic (a deny rule, or wildcards in the allow list). */
  get narrow(): boolean {
    return this.deny.length > 0 || this.allow !== null;
  }
}

/**
 * What one connection may publish and receive, with `%u` (username) and `%c` (client id)
 * already put in, so a rule like `devices/%c/#` gives each device its own topics.
 */
export class Permissions {
  readonly publish: Rules;
  readonly subscribe: Rules;

  constructor(spec: PermissionSpec, username: string, clientId: string) {
    // A name holding "+", "#" or "/" would widen the rule ("devices/+/#"): it matches nothing.
    const safe = (v: string) => (/[+#/]/.test(v) ? "\u0000" : v);
    const fill = (list?: string[]) =>
      list?.map((f) => f.replaceAll("%u", safe(username)).replaceAll("%c", safe(clientId)));
    this.publish = new Rules(fill(spec.publish?.allow) ?? null, fill(spec.publish?.deny) ?? []);
    this.subscribe = new Rules(
      fill(spec.subscribe?.allow) ?? null,
      fill(spec.subscribe?.deny) ?? [],
    );
  }

  canPublish(topic: string): boolean {
    return this.publish.permits(topic);
  }

  canSubscribe(filter: string): boolean {
    return this.subscribe.permitsFilter(filter);
  }

  /** May a message on `topic` be delivered (a wildcard must not leak a denied topic)? */
  canReceive(topic: string): boolean {
    return this.subscribe.permits(topic);
  }

  /** False when every topic of every granted filter may be received: no per-message check. */
  get checksDelivery(): boolean {
    return this.subscribe.narrow;
  }
}
