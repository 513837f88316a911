import { RuntimeSupportError } from "../errors.ts";
import type { Runtime } from "./types.ts";

/** The adapter of the runtime this process runs on. */
export async function currentRuntime(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("./bun/runtime.ts")).bunRuntime;
  throw new RuntimeSupportError(
    "jetmq runs on Bun: start it with `bun src/main.ts` (or `npm start`)",
  );
}
