import type { Bus, BusSubscription } from "./bus.ts";
import { takeoverSubject } from "./names.ts";

/** A newer connection claimed session `key` with `generation`; older connections let go. */
export interface TakeoverNotice {
  readonly key: string;
  readonly generation: number;
}

/**
 * What the previous owner's instance says: it let the connection go ("released"), the
 * connection was already being sent away by a drain ("drained": its will waits, it is no
 * abnormal end), or nobody answered ("gone": the instance died, or took too long).
 */
export type TakeoverAnswer = "released" | "drained" | "gone";

/** How long a takeover waits for an answer to its notice. */
export const TAKEOVER_WAIT_MS = 1000;

/**
 * How long in all a takeover asks an instance that hears its notice but does not answer in
 * time. Such an instance is busy (a drain, a storm of reconnects), or this one is; taken for
 * dead at once, it would make a drained client's will fire as it arrives elsewhere.
 */
export const TAKEOVER_PATIENCE_MS = 5000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DRAINED = encoder.encode("drained");

export const encodeTakeover = (notice: TakeoverNotice): Uint8Array =>
  encoder.encode(JSON.stringify({ key: notice.key, generation: notice.generation }));

/** The notice in `bytes`, or null when they are not one (a stray or foreign message). */
export function decodeTakeover(bytes: Uint8Array): TakeoverNotice | null {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as Partial<TakeoverNotice> | null;
    if (typeof v?.key === "string" && typeof v.generation === "number") {
      return { key: v.key, generation: v.generation };
    }
  } catch {
    // not JSON
  }
  return null;
}

/**
 * The takeover protocol between instances: a request to the instance that holds the session,
 * answered once its connection there receives nothing more, so that the new owner's
 * redelivery of unacknowledged messages goes to the new connection only.
 */
export class Takeovers {
  constructor(
    readonly bus: Bus,
    readonly waitMs = TAKEOVER_WAIT_MS,
    readonly patienceMs = TAKEOVER_PATIENCE_MS,
  ) {}

  /**
   * Tells the holder; resolves once it let go, or it is known gone: nobody listens for it (its
   * NATS connection ended with it), or it stayed silent for `patienceMs`. The notice may reach
   * it more than once; a repeat gets the same answer.
   */
  async notify(instanceId: string, key: string, generation: number): Promise<TakeoverAnswer> {
    const subject = takeoverSubject(instanceId);
    const notice = encodeTakeover({ key, generation });
    const giveUpAt = Date.now() + this.patienceMs;
    for (;;) {
      const answer = await this.bus.ask(subject, notice, this.waitMs);
      if (answer instanceof Uint8Array) {
        return decoder.decode(answer) === "drained" ? "drained" : "released";
      }
      if (answer === "nobody" || Date.now() >= giveUpAt) return "gone";
    }
  }

  /**
   * Hears the takeovers of sessions served by `instanceId`, from other instances and itself;
   * `onNotice` says whether the connection it closed was already being drained.
   */
  listen(instanceId: string, onNotice: (notice: TakeoverNotice) => boolean): BusSubscription {
    const subject = takeoverSubject(instanceId);
    const handle = (bytes: Uint8Array): Uint8Array => {
      const notice = decodeTakeover(bytes);
      return notice && onNotice(notice) ? DRAINED : new Uint8Array(0);
    };
    this.bus.answerLocally(subject, handle);
    return this.bus.subscribe(subject, (m) => {
      const answer = handle(m.data);
      if (m.reply) this.bus.notify(m.reply, answer);
    });
  }
}
