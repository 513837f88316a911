interface Node {
  /** Made with the first child: most nodes are leaves (a subject each), and a Map costs. */
  children: Map<string, Node> | null;
  /** Patterns ending here. */
  terminal: string | null;
}

const node = (): Node => ({ children: null, terminal: null });

const MAX_ANSWERS = 4096;

/**
 * The NATS subject patterns this instance listens on, as a token tree: which of them match a
 * subject, in time proportional to its tokens, however many patterns there are. Used to hand
 * this instance's own publishes to its local subscribers without a round trip through NATS.
 */
export class SubjectTrie {
  #root = node();
  /**
   * Answers for subjects asked since the patterns last changed: a publisher sends on the same
   * few topics over and over. Bounded; emptied by any change.
   */
  #answers = new Map<string, readonly string[]>();

  add(pattern: string): void {
    this.#answers.clear();
    let n = this.#root;
    for (const token of pattern.split(".")) {
      n.children ??= new Map();
      let next = n.children.get(token);
      if (!next) n.children.set(token, next = node());
      n = next;
    }
    n.terminal = pattern;
  }

  remove(pattern: string): void {
    this.#answers.clear();
    const path: Node[] = [this.#root];
    const tokens = pattern.split(".");
    for (const token of tokens) {
      const next = path[path.length - 1]?.children?.get(token);
      if (!next) return;
      path.push(next);
    }
    (path[path.length - 1] as Node).terminal = null;
    // Prune empty branches so the tree does not keep every pattern ever used.
    for (let i = tokens.length; i > 0; i--) {
      const n = path[i] as Node;
      if (n.terminal !== null || (n.children?.size ?? 0) > 0) break;
      path[i - 1]?.children?.delete(tokens[i - 1] as string);
    }
  }

  /** Every pattern that matches the literal subject (shared: never modify it). */
  match(subject: string): readonly string[] {
    const known = this.#answers.get(subject);
    if (known) return known;
    const out: string[] = [];
    this.#walk(this.#root, subject.split("."), 0, out);
    if (this.#answers.size >= MAX_ANSWERS) this.#answers.clear();
    this.#answers.set(subject, out);
    return out;
  }

  #walk(n: Node, tokens: readonly string[], i: number, out: string[]): void {
    if (i === tokens.length) {
      if (n.terminal !== null) out.push(n.terminal);
      return;
    }
    const children = n.children;
    if (!children) return;
    const rest = children.get(">");
    if (rest?.terminal) out.push(rest.terminal);
    const exact = children.get(tokens[i] as string);
    if (exact) this.#walk(exact, tokens, i + 1, out);
    const any = children.get("*");
    if (any) this.#walk(any, tokens, i + 1, out);
  }
}
