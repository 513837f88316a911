/** Whether this instance should get new clients, as /readyz tells a load balancer. */
export interface ReadinessOptions {
  /** Null when NATS and JetStream answer, else what does not. */
  readonly probe: () => Promise<string | null>;
  /** Stay ready this long after the last good probe: a leader election is not an outage. */
  readonly graceMs: number;
  /** /readyz answers within this, whatever NATS does. */
  readonly answerWithinMs: number;
  readonly now?: () => number;
}

/** Probes run at most this often, however often the balancers ask. */
const PROBE_EVERY_MS = 1000;

/**
 * Starting → ready → draining. While ready, a failed probe makes the instance unready only once
 * no probe has succeeded for `graceMs`: every instance probes the same NATS, and an election
 * of a few seconds must not take them all out of the balancer at once.
 */
export class Readiness {
  #phase: "starting" | "ready" | "draining" = "starting";
  #starting = "starting";
  #lastGood = 0;
  #lastProblem: string | null = null;
  #lastProbe = 0;
  #probing: Promise<void> | null = null;
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
  }

  draining(): void {
    this.#phase = "draining";
  }

  /** Null when ready, else why not; answers within `answerWithinMs`. */
  async check(): Promise<string | null> {
    if (this.#phase === "starting") return this.#starting;
    if (this.#phase === "draining") return "draining: not taking new clients";
    if (this.#now() - this.#lastProbe >= PROBE_EVERY_MS) this.#startProbe();
    if (this.#probing) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((
        done,
      ) => (timer = setTimeout(done, this.opts.answerWithinMs)));
      await Promise.race([this.#probing, late]);
      clearTimeout(timer);
    }
    if (this.#now() - this.#lastGood <= this.opts.graceMs) return null;
    return this.#lastProblem ?? "JetStream has not answered";
  }

  #startProbe(): void {
    if (this.#probing) return;
    this.#lastProbe = this.#now();
    this.#probing = this.opts.probe().then(
      (problem) => {
        if (problem === null) this.#lastGood = this.#now();
        else this.#lastProblem = problem;
      },
      (err) => void (this.#lastProblem = String(err)),
    ).finally(() => (this.#probing = null));
  }
}
