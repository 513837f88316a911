import type { Subprocess } from "bun";

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end, killed after `timeoutMs`. Never `Bun.spawnSync` in these tests:
 * the broker under test runs in this process, and a synchronous spawn would stall it.
 */
export async function run(
  cmd: string[],
  opts: number | { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<ProcessResult> {
  const { timeoutMs = 20_000, env } = typeof opts === "number" ? { timeoutMs: opts } : opts;
  const proc = Bun.spawn(cmd, {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    ...(env ? { env } : {}),
  });
  return await finish(proc, timeoutMs);
}

/** Waits for a spawned process to end (killing it after `timeoutMs`) and collects its output. */
export async function finish(
  proc: Subprocess<"ignore", "pipe", "pipe">,
  timeoutMs = 20_000,
): Promise<ProcessResult> {
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
