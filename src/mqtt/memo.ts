/**
 * A pure function of a string, remembered for the last few thousand arguments: the topics a
 * fleet publishes on repeat, and mapping one (checks, replacements, encoding) per message is work
 * done again for nothing. Emptied when full, so a flood of distinct topics costs only that;
 * arguments longer than `maxLength` are not kept (a client could otherwise pin megabytes).
 */
export function memoize<T>(fn: (s: string) => T, max = 4096, maxLength = 256): (s: string) => T {
  const known = new Map<string, T>();
  return (s) => {
    let v = known.get(s);
    if (v === undefined) {
      v = fn(s);
      if (s.length > maxLength) return v;
      if (known.size >= max) known.clear();
      known.set(s, v);
    }
    return v;
  };
}
