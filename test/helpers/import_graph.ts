import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/** Module (path from the project root) → what it imports: project paths, or package names. */
export type ImportGraph = Map<string, string[]>;

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

/** Every TypeScript module under `dirs` (relative to `root`) with its imports. */
export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const dir of dirs) {
    for (const file of walk(join(root, dir))) {
      const from = relative(root, file);
      const text = readFileSync(file, "utf8");
      const targets: string[] = [];
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? "";
        targets.push(spec.startsWith(".") ? normalize(join(dirname(from), spec)) : spec);
      }
      graph.set(from, targets);
    }
  }
  return graph;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** An arrow the architecture forbids: modules under `from` must not import `to`. */
export interface Rule {
  readonly from: string;
  /** Path prefixes or package names that modules under `from` may not import. */
  readonly forbid?: readonly string[];
  /** Or: the only path prefixes (project modules) they may import; packages are not limited. */
  readonly only?: readonly string[];
  readonly except?: readonly string[];
  readonly why: string;
}

const under = (path: string, prefixes: readonly string[]) =>
  prefixes.some((p) => path === p || path.startsWith(p));
const isProject = (target: string) => target.startsWith("src/") || target.startsWith("handlers/");

/** Every import that breaks a rule, as "from → to: why". */
export function violations(graph: ImportGraph, rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    for (const rule of rules) {
      if (!under(from, [rule.from]) || under(from, rule.except ?? [])) continue;
      for (const to of targets) {
        const forbidden = rule.forbid
          ? under(to, rule.forbid)
          : rule.only !== undefined && isProject(to) && !under(to, rule.only);
        if (forbidden) out.push(`${from} → ${to}: ${rule.why}`);
      }
    }
  }
  return out;
}

/** Import cycles among project modules, each as the path that closes it. */
export function cycles(graph: ImportGraph): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}
