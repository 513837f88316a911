interface Node<V> {
  /** Made with the first child: most nodes are leaves (a subject each), and a Map costs. */
  children: Map<string, Node<V>> | null;
  /** What is kept for the pattern ending here. */
  value: V | null;
}

const MAX_ANSWERS = 4096;

/**
 * NATS subject patterns with a value each, as a token tree: which of them match a subject, in
 * time proportional to its tokens, however many patterns there are. Used to hand this
 * instance's own publishes to its local subscribers without a round trip through NATS, and as
 * the only index of those patterns (a second one, a Map, would cost ~130 bytes per pattern).
 */
export class SubjectTrie<V> {
  #root: Node<V> = { children: null, value: null };
  #size = 0;
  /**
   * Answers for subjects asked since the patterns last changed: a publisher sends on the same
   * few topics over and over. Bounded; emptied by any change.
   */
  #answers = new Map<string, readonly V[]>();

  /** Patterns held. */
  get size(): number {
    return this.#size;
  }

  /** The value of exactly this pattern. */
  get(pattern: string): V | undefined {
    let n: Node<V> | undefined = this.#root;
    for (const token of pattern.split(".")) {
      n = n.children?.get(token);
      if (!n) return undefined;
    }
    return n.value ?? undefined;
  }

  /** Keeps `value` for `pattern`, replacing any it had. */
  set(pattern: string, value: V): void {
    this.#answers.clear();
    let n = this.#root;
    for (const token of pattern.split(".")) {
      n.children ??= new Map();
      let next = n.children.get(token);
      if (!next) n.children.set(token, next = { children: null, value: null });
      n = next;
    }
    if (n.value === null) this.#size++;
    n.value = value;
  }

  delete(pattern: string): void {
    this.#answers.clear();
    const path: Node<V>[] = [this.#root];
    const tokens = pattern.split(".");
    for (const token of tokens) {
      const next = path[path.length - 1]?.children?.get(token);
      if (!next) return;
      path.push(next);
    }
    const end = path[path.length - 1] as Node<V>;
    if (end.value === null) return;
    end.value = null;
    this.#size--;
    // Prune empty branches so the tree does not keep every pattern ever used.
    for (let i = tokens.length; i > 0; i--) {
      const n = path[i] as Node<V>;
      if (n.value !== null || (n.children?.size ?? 0) > 0) break;
      path[i - 1]?.children?.delete(tokens[i - 1] as string);
    }
  }

  /** The values of every pattern that matches the literal subject (shared: never modify it). */
  match(subject: string): readonly V[] {
    const known = this.#answers.get(subject);
    if (known) return known;
    const out: V[] = [];
    this.#walk(this.#root, subject.split("."), 0, out);
    if (this.#answers.size >= MAX_ANSWERS) this.#answers.clear();
    this.#answers.set(subject, out);
    return out;
  }

  #walk(n: Node<V>, tokens: readonly string[], i: number, out: V[]): void {
    if (i === tokens.length) {
      if (n.value !== null) out.push(n.value);
      return;
    }
    const children = n.children;
    if (!children) return;
    const rest = children.get(">");
    if (rest && rest.value !== null) out.push(rest.value);
    const exact = children.get(tokens[i] as string);
    if (exact) this.#walk(exact, tokens, i + 1, out);
    const any = children.get("*");
    if (any) this.#walk(any, tokens, i + 1, out);
  }
}
