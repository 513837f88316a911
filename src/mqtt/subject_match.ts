import { startsWithWildcard } from "./topic_map.ts";

/** Does the NATS subject pattern (with `*` and `>`) match the literal subject? */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  let p = 0;
  let s = 0;
  while (p < pattern.length) {
    const pEnd = nextDot(pattern, p);
    const token = pattern.slice(p, pEnd);
    if (s > subject.length) return false;
    if (token === ">") return s < subject.length;
    const sEnd = nextDot(subject, s);
    if (s >= subject.length) return false;
    if (token !== "*" && token !== subject.slice(s, sEnd)) return false;
    p = pEnd + 1;
    s = sEnd + 1;
  }
  return s > subject.length;
}

/** Can some subject match both patterns? (`a.*` and `a.>` can; `a.>` and `a` cannot.) */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0;; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === q;
    if (p === ">" || q === ">") return true;
    if (p !== "*" && q !== "*" && p !== q) return false;
  }
}

/**
 * Does a subscription on `pattern` receive a message on `subject`: NATS matching plus the MQTT
 * rule that wildcard filters never match topics beginning with "$" [MQTT-4.7.2-1].
 */
export function receives(pattern: string, subject: string): boolean {
  return !hidesDollar(startsWithWildcard(pattern), subject) && subjectMatches(pattern, subject);
}

/**
 * The one place of the rule that wildcard filters never match topics beginning with "$"
 * [MQTT-4.7.2-1], for MQTT topics and NATS subjects alike: a filter (or subject pattern) whose
 * first level is a wildcard does not receive `name` when it begins with "$".
 */
export const hidesDollar = (wildcardFirst: boolean, name: string): boolean =>
  wildcardFirst && name.charCodeAt(0) === 36;

function nextDot(str: string, from: number): number {
  const i = str.indexOf(".", from);
  return i === -1 ? str.length : i;
}
