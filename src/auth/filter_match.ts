import { hidesDollar } from "../mqtt/subject_match.ts";

// MQTT topic filters compared with topics and with each other, for permissions. (Delivery
// matching is done on NATS subjects; these work on MQTT names, as permissions are written.)

/** Does the filter (with `+` and `#`) match the topic? Wildcards skip `$` topics [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  if (hidesDollar(filter.startsWith("+") || filter.startsWith("#"), topic)) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === "#") return true; // also the parent level: "a/#" matches "a"
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is every topic `inner` matches also matched by `outer`? */
export function filterCovers(outer: string, inner: string): boolean {
  if (
    inner.startsWith("$") !== outer.startsWith("$") &&
    (outer.startsWith("+") || outer.startsWith("#"))
  ) {
    return false;
  }
  const o = outer.split("/");
  const n = inner.split("/");
  for (let i = 0; i < o.length; i++) {
    const level = o[i];
    if (level === "#") return true;
    if (i >= n.length) return false;
    const other = n[i];
    if (other === "#") return false;
    if (level === "+") continue;
    if (other === "+" || level !== other) return false;
  }
  return o.length === n.length;
}
