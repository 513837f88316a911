import type { Bus, BusSubscription } from "./bus.ts";
import { takeoverSubject } from "./names.ts";

/** A newer connection claimed session `key` with `generation`; older connections let go. */
export interface TakeoverNotice {
  readonly key: string;
  readonly generation: number;
}

/** How long a takeover waits for the previous owner's instance to let the session go. */
export const TAKEOVER_WAIT_MS = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
  constructor(readonly bus: Bus, readonly waitMs = TAKEOVER_WAIT_MS) {}

  /** True once the holder let go; false when it is gone (no responders) or silent too long. */
  notify(instanceId: string, key: string, generation: number): Promise<boolean> {
    return this.bus.ask(
      takeoverSubject(instanceId),
      encodeTakeover({ key, generation }),
      this.waitMs,
    );
  }

  /** Hears the takeovers of sessions served by `instanceId`, from other instances and itself. */
  listen(instanceId: string, onNotice: (notice: TakeoverNotice) => void): BusSubscription {
    const subject = takeoverSubject(instanceId);
    const handle = (bytes: Uint8Array) => {
      const notice = decodeTakeover(bytes);
      if (notice) onNotice(notice);
    };
    this.bus.answerLocally(subject, handle);
    return this.bus.subscribe(subject, (m) => {
      handle(m.data);
      if (m.reply) this.bus.notify(m.reply, new Uint8Array(0));
    });
  }
}
