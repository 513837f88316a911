import { RuntimeSupportError } from "../errors.ts";
import type { Runtime } from "./types.ts";

/**
 * Each adapter's module, named here rather than in an import statement: each type checker
 * (tsc with Bun's types, `deno check` with Deno's) then reads only its own runtime's adapter.
 */
const ADAPTERS = { bun: "./bun/runtime.ts", deno: "./deno/runtime.ts" } as const;

/** The adapter of the runtime this process runs on. */
export async function currentRuntime(): Promise<Runtime> {
  const name = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : null;
  if (!name) {
    throw new RuntimeSupportError(
      "jetmq runs on Bun or Deno 2: start it with `npm start` or `deno task start`",
    );
  }
  const adapter = (await import(ADAPTERS[name])) as { runtime: Runtime };
  return adapter.runtime;
}
