import { cpuUsage, memoryUsage } from "node:process";
import type { Logger } from "../log.ts";

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/**
 * Gives the memory of a burst of traffic back once the process is quiet again.
 *
 * Bun collects garbage when allocation asks for it, not when a process goes idle: after a burst
 * the heap keeps the burst's garbage, and the process its pages, until the next burst comes.
 * One full collection at the first quiet quarter second after busy ones (at most one per two
 * seconds) returns them: the bench's QoS 0 fan-in left 105 MB a second after it, 74 MB with
 * this (61 MB idle), for about 20 ms of collection while the process had nothing else to do
 * (60 ms with 19,000 connections open). Where the runtime gives no way to ask (Deno), nothing
 * runs.
 *
 * One collector per process, however many brokers run in it (the tests start several): the
 * CPU it watches and the heap it collects are the process's.
 */
const PERIOD_MS = 250;
/**
 * Bursts closer together than this share one collection: a stop-and-go load is no idle time
 * (at most a collection of some tens of milliseconds per two seconds, of a quiet process).
 */
const MIN_GAP_MS = 2_000;
/** Share of one core over a period from which the process is busy … */
const BUSY_SHARE = 0.25;
/** … and under which it is quiet. */
const QUIET_SHARE = 0.05;

interface Collector {
  timer: ReturnType<typeof setInterval>;
  users: number;
}

let collector: Collector | null = null;

export interface IdleCollection {
  stop(): void;
}

/** `log` (the first broker's) says what each collection took and gave back, at debug level. */
export function keepIdleCollection(
  collect: (() => void) | undefined,
  log: Logger,
): IdleCollection {
  if (!collect) return { stop() {} };
  collector ??= { timer: startTimer(collect, log), users: 0 };
  collector.users++;
  let stopped = false;
  return {
    stop() {
      if (stopped || !collector) return;
      stopped = true;
      if (--collector.users > 0) return;
      clearInterval(collector.timer);
      collector = null;
    },
  };
}

function startTimer(collect: () => void, log: Logger): ReturnType<typeof setInterval> {
  const detector = new QuietAfterBusy(cpuMicros(), performance.now());
  const timer = setInterval(() => {
    if (!detector.tick(cpuMicros(), performance.now())) return;
    const rss = memoryUsage.rss();
    const start = performance.now();
    collect();
    const ms = Math.round(performance.now() - start);
    log.debug("memory.collected", { ms, rssBeforeMb: mb(rss), rssAfterMb: mb(memoryUsage.rss()) });
    detector.skip(cpuMicros()); // the collection's own time is not the next period's load
  }, PERIOD_MS);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Tells, period by period, when a process that was busy has become quiet. */
export class QuietAfterBusy {
  #busy = false;
  #collectedAt = -Infinity;
  #lastCpu: number;
  #lastAt: number;

  constructor(cpu: number, now: number) {
    this.#lastCpu = cpu;
    this.#lastAt = now;
  }

  /** Called every period with the process's CPU time (µs) and the clock (ms): collect now? */
  tick(cpu: number, now: number): boolean {
    const share = (cpu - this.#lastCpu) / ((now - this.#lastAt) * 1000);
    this.#lastCpu = cpu;
    this.#lastAt = now;
    if (share >= BUSY_SHARE) this.#busy = true;
    else if (this.#busy && share < QUIET_SHARE && now - this.#collectedAt >= MIN_GAP_MS) {
      this.#busy = false;
      this.#collectedAt = now;
      return true;
    }
    return false;
  }

  skip(cpu: number): void {
    this.#lastCpu = cpu;
  }
}

function cpuMicros(): number {
  const { user, system } = cpuUsage();
  return user + system;
}
