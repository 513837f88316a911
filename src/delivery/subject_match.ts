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

function nextDot(str: string, from: number): number {
  const i = str.indexOf(".", from);
  return i === -1 ? str.length : i;
}
