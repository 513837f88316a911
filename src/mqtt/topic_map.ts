import { TopicError } from "../errors.ts";
import { memoize } from "./memo.ts";
/**
 * First token of every subject jetmq uses internally (src/nats/names.ts builds them all from
 * it): never subscribable or publishable by clients.
 */
export const INTERNAL_PREFIX = "$JETMQ";

// MQTT topic ⇄ NATS subject, exactly as nats-server maps them (DESIGN.md table): levels are
// joined with ".", and an empty level becomes the token "/". Failures are returned as values.

/** First levels that lead into NATS's own APIs or jetmq's internals: never usable by clients. */
export const RESERVED_FIRST_LEVELS: ReadonlySet<string> = new Set([
  INTERNAL_PREFIX,
  "$JS",
  "$JSC",
  "$KV",
  "$O",
  "$SYS",
  "$MQTT",
  "$NRG",
]);

/**
 * Longest subject jetmq will use. NATS closes a connection whose control line passes
 * max_control_line (4 KiB by default), which would drop every client of the instance.
 */
export const MAX_SUBJECT_BYTES = 2048;

// "." is NATS's separator, "*" and ">" its wildcards, and subjects cannot hold whitespace.
const FORBIDDEN = /[.*>\s]/;

function checkLevel(level: string, what: "topic" | "filter", name: string): TopicError | null {
  const bad = FORBIDDEN.exec(level)?.[0] ?? (level.includes("\u0000") ? "\u0000" : null);
  if (bad === null) return null;
  const shown = bad === " " ? "space" : /\s/.test(bad) ? "whitespace" : `"${bad}"`;
  return new TopicError(
    `Cannot map ${what} "${name}" to a subject: ${shown} is not allowed`,
    { topic: name },
  );
}

function checkCommon(name: string, what: "topic" | "filter"): TopicError | null {
  if (name.length === 0) {
    return new TopicError(`The ${what} must not be empty [MQTT-4.7.3-1]`, { topic: name });
  }
  const slash = name.indexOf("/");
  const first = slash === -1 ? name : name.slice(0, slash);
  if (first.startsWith("$") && RESERVED_FIRST_LEVELS.has(first)) {
    return new TopicError(`The ${what} "${name}" is in the reserved namespace "${first}"`, {
      topic: name,
    });
  }
  return null;
}

function checkLength(subject: string, name: string): TopicError | null {
  if (subject.length * 3 <= MAX_SUBJECT_BYTES) return null;
  if (Buffer.byteLength(subject) <= MAX_SUBJECT_BYTES) return null;
  return new TopicError(
    `The topic "${name.slice(0, 40)}…" is longer than ${MAX_SUBJECT_BYTES} bytes`,
    {
      topic: name.slice(0, 200),
    },
  );
}

const levelToToken = (level: string): string => (level === "" ? "/" : level);

/** Maps a topic name (no wildcards) to its NATS subject, or says why it cannot be used. */
export const topicToSubject: (topic: string) => string | TopicError = memoize(mapTopic);

function mapTopic(topic: string): string | TopicError {
  const common = checkCommon(topic, "topic");
  if (common) return common;
  if (topic.includes("+") || topic.includes("#")) {
    return new TopicError(
      `The topic name "${topic}" must not contain wildcards [MQTT-3.3.2-2]`,
      { topic },
    );
  }
  const bad = checkLevel(topic, "topic", topic);
  if (bad) return bad;
  // Fast path: no empty level anywhere, so every "/" is a plain separator.
  const simple = topic.charCodeAt(0) !== 47 && topic.charCodeAt(topic.length - 1) !== 47 &&
    !topic.includes("//");
  const subject = simple
    ? topic.replaceAll("/", ".")
    : topic.split("/").map(levelToToken).join(".");
  return checkLength(subject, topic) ?? subject;
}

/**
 * Maps a topic filter to the NATS subjects that together match it: `foo/#` needs `foo.>` and
 * `foo`, since NATS's `>` needs at least one more token; `#` alone is just `>`.
 */
export function filterToSubjects(filter: string): string[] | TopicError {
  const common = checkCommon(filter, "filter");
  if (common) return common;
  const levels = filter.split("/");
  const tokens: string[] = [];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? "";
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      return new TopicError(
        `The filter "${filter}" may hold "#" only as its whole last level [MQTT-4.7.1-2]`,
        { topic: filter },
      );
    }
    if (level.includes("+") && level !== "+") {
      return new TopicError(
        `The filter "${filter}" may hold "+" only as a whole level [MQTT-4.7.1-3]`,
        { topic: filter },
      );
    }
    const bad = checkLevel(level, "filter", filter);
    if (bad) return bad;
    tokens.push(level === "+" ? "*" : level === "#" ? ">" : levelToToken(level));
  }
  const subject = tokens.join(".");
  const tooLong = checkLength(subject, filter);
  if (tooLong) return tooLong;
  if (tokens.length > 1 && tokens[tokens.length - 1] === ">") {
    return [subject, tokens.slice(0, -1).join(".")];
  }
  return [subject];
}

const encoder = new TextEncoder();

/**
 * The topic of a NATS subject as a PUBLISH carries it (UTF-8), shared by every message on that
 * subject: never modify it.
 */
export const topicBytes: (subject: string) => Uint8Array = memoize((subject) =>
  encoder.encode(subjectToTopic(subject))
);

/** Maps a NATS subject back to the MQTT topic that subscribers see. */
export function subjectToTopic(subject: string): string {
  if (!subject.includes("/")) return subject.replaceAll(".", "/");
  return subject.split(".").map((t) => (t === "/" ? "" : t)).join("/");
}

/** Wildcard filters never match topics that begin with "$" [MQTT-4.7.2-1]. */
export function startsWithWildcard(subjectPattern: string): boolean {
  const c = subjectPattern.charCodeAt(0);
  return (c === 42 || c === 62) && (subjectPattern.length === 1 || subjectPattern[1] === ".");
}
