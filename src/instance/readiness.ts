/** Whether this instance should get new clients, as /readyz tells a load balancer. */
export interface ReadinessOptions {
  /** Null when NATS and JetStream answer, else what does not; bounded in time by itself. */
  readonly probe: () => Promise<string | null>;
  /** Stay ready this long after the last good probe: a leader election is not an outage. */
  readonly graceMs: number;
  /** Time between probes while ready. */
  readonly everyMs?: number;
  readonly now?: () => number;
  /** Hears the first failed probe of a streak, and the first good one after it. */
  readonly onChange?: (problem: string | null) => void;
}

/**
 * Starting → ready → draining. While ready, JetStream is probed in the background, and the
 * instance turns unready only once no probe has succeeded for `graceMs`: every instance probes
 * the same NATS, and an election of a few seconds must not take them all out of the balancer
 * at once. Asking is free: /readyz answers from the last probes at once.
 */
export class Readiness {
  #phase: "starting" | "ready" | "draining" = "starting";
  #starting = "starting";
  #lastGood = 0;
  #lastProblem: string | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #probing = false;
  readonly #now: () => number;

  constructor(readonly opts: ReadinessOptions) {
    this.#now = opts.now ?? Date.now;
  }

  get phase(): "starting" | "ready" | "draining" {
    return this.#phase;
  }

  /** What start-up is waiting for, while it waits. */
  waiting(reason: string): void {
    this.#starting = `starting: ${reason}`;
  }

  ready(): void {
    this.#phase = "ready";
    this.#lastGood = this.#now();
    this.#timer ??= setInterval(() => this.#probe(), this.opts.everyMs ?? 1000);
  }

  draining(): void {
    this.#phase = "draining";
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Null when ready, else why not. */
  check(): Promise<string | null> {
    if (this.#phase === "starting") return Promise.resolve(this.#starting);
    if (this.#phase === "draining") return Promise.resolve("draining: not taking new clients");
    if (this.#now() - this.#lastGood <= this.opts.graceMs) return Promise.resolve(null);
    return Promise.resolve(this.#lastProblem ?? "JetStream has not answered since start-up");
  }

  #probe(): void {
    if (this.#probing) return;
    this.#probing = true;
    this.opts.probe().then(
      (problem) => this.#record(problem),
      (err) => this.#record(String(err)),
    ).finally(() => (this.#probing = false));
  }

  #record(problem: string | null): void {
    if ((problem === null) !== (this.#lastProblem === null)) this.opts.onChange?.(problem);
    this.#lastProblem = problem;
    if (problem === null) this.#lastGood = this.#now();
  }
}
