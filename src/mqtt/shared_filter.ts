import { TopicError } from "../errors.ts";

/** What a shared subscription's filter begins with [MQTT-4.8.2-1]. */
export const SHARE_PREFIX = "$share/";

/** A shared subscription: `$share/{ShareName}/{filter}`. */
export interface SharedFilter {
  /** The ShareName: the group's name, no "/", "+" or "#" [MQTT-4.8.2-2]. */
  readonly name: string;
  /** The topic filter the group receives. */
  readonly filter: string;
}

export const isShared = (filter: string): boolean => filter.startsWith(SHARE_PREFIX);

/**
 * Splits `$share/{ShareName}/{filter}`, or says why it is malformed. The ShareName also names a
 * NATS queue group (docs/shared-subscriptions.md), which cannot hold whitespace.
 */
export function parseShared(text: string): SharedFilter | TopicError {
  const rest = text.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf("/");
  const name = slash === -1 ? rest : rest.slice(0, slash);
  const filter = slash === -1 ? "" : rest.slice(slash + 1);
  const bad = (why: string) =>
    new TopicError(`Malformed shared subscription "${text}": ${why}`, {
      topic: text,
    });
  if (name.length === 0) return bad("the ShareName is empty [MQTT-4.8.2-1]");
  if (/[+#]/.test(name)) return bad('the ShareName holds "+" or "#" [MQTT-4.8.2-2]');
  if (/\s/.test(name)) return bad("the ShareName holds whitespace (a NATS queue name cannot)");
  if (filter.length === 0) return bad("no topic filter follows the ShareName [MQTT-4.8.2-1]");
  return { name, filter };
}

/**
 * How a group lists a member whose session ends with its connection: the connection, so that
 * its end removes that membership and no newer one of the same client id.
 */
export const connectionOwner = (instance: string, connection: string): string =>
  `${instance}/${connection}`;
