import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes a fault test's figures to test-artifacts/<name>.json, for the record. */
export function reportFigures(name: string, figures: Record<string, unknown>): void {
  const dir = join(import.meta.dir, "../../test-artifacts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(figures, null, 2) + "\n");
}
