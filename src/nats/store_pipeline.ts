import {
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { StoreError } from "../errors.ts";
import { withHeader } from "./encoded_headers.ts";
import { INBOX_PREFIX } from "./names.ts";
import type { RetryOptions } from "./retry.ts";

interface Waiting {
  readonly resolve: (seq: number) => void;
  readonly reject: (err: StoreError) => void;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: MsgHdrs;
  readonly firstAt: number;
  sentAt: number;
  tries: number;
}

const decoder = new TextDecoder();

const FIRST_BACKOFF_MS = 100;
const LONGEST_BACKOFF_MS = 2_000;
/** JetStream errors that no retry can mend: the message itself is refused. */
const PERMANENT = new Set([10054, /* message size */ 10071 /* wrong last sequence */]);

/**
 * JetStream publishes, pipelined: each goes out with a reply subject under one wildcard inbox,
 * and its acknowledgement is matched by number. Per message that is one NATS publish and one
 * map entry, where the client library's request makes an inbox, a timer and a stack trace.
 *
 * A store that is not answered in time, or refused while JetStream elects a leader, is sent
 * again with backoff, under the same Nats-Msg-Id: if the first one was stored after all,
 * JetStream's duplicate window absorbs the second. Only after `retry.forMs` does a store fail,
 * so that the caller closes its client rather than leave a PUBLISH unacknowledged for good.
 */
export class StorePipeline {
  #waiting = new Map<number, Waiting>();
  #next = 0;
  #prefix: string;
  #ids: string;
  #sub: Subscription;
  #sweeper: ReturnType<typeof setInterval>;
  #retrying = 0;

  constructor(
    readonly nc: NatsConnection,
    readonly timeoutMs: number,
    readonly retry: RetryOptions,
  ) {
    const unique = crypto.randomUUID().replaceAll("-", "");
    this.#prefix = `${INBOX_PREFIX}.store.${unique}`;
    this.#ids = unique.slice(0, 16);
    this.#sub = nc.subscribe(`${this.#prefix}.*`, { callback: (_e, m) => this.#answer(m) });
    this.#sweeper = setInterval(() => this.#sweep(), 250);
    this.#sweeper.unref?.();
  }

  /**
   * Resolves to the stream sequence once JetStream has stored the message. `msgId` makes stores
   * of one message by several attempts (a QoS 2 release retried after a crash) count once;
   * without it the store gets an id of its own, which its retries keep.
   */
  store(subject: string, payload: Uint8Array, base: MsgHdrs, msgId?: string): Promise<number> {
    const id = ++this.#next;
    // The message id is what JetStream drops a second store of.
    const headers = withHeader(base, "Nats-Msg-Id", msgId ?? `${this.#ids}.${id}`);
    return new Promise((resolve, reject) => {
      const now = Date.now();
      this.#send(id, {
        resolve,
        reject,
        subject,
        payload,
        headers,
        firstAt: now,
        sentAt: now,
        tries: 0,
      });
    });
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#sub.unsubscribe();
    for (const [id, w] of this.#waiting) {
      this.#waiting.delete(id);
      w.reject(
        new StoreError(`Not stored: the NATS connection is closing`, { subject: w.subject }),
      );
    }
  }

  #send(id: number, w: Waiting): void {
    w.tries++;
    w.sentAt = Date.now();
    this.#waiting.set(id, w);
    try {
      this.nc.publish(w.subject, w.payload, { reply: `${this.#prefix}.${id}`, headers: w.headers });
    } catch (err) {
      // Closed or draining: nothing will answer.
      this.#waiting.delete(id);
      w.reject(new StoreError(`Not stored: ${String(err)}`, { subject: w.subject }));
    }
  }

  #answer(m: Msg): void {
    const id = Number(m.subject.slice(this.#prefix.length + 1));
    const w = this.#waiting.get(id);
    if (!w) return;
    this.#waiting.delete(id);
    if (m.headers?.hasError) {
      // 503: no JetStream server took it: the stream's leader is being elected, or gone.
      const why = m.headers.code === 503
        ? "no JetStream server answered for the stream (503: electing a leader, or down)"
        : m.headers.description;
      return this.#again(id, w, why);
    }
    let ack: { seq?: number; error?: { code?: number; err_code?: number; description?: string } };
    try {
      ack = JSON.parse(decoder.decode(m.data));
    } catch (cause) {
      return w.reject(
        new StoreError("Not stored: unreadable acknowledgement", { subject: w.subject }, { cause }),
      );
    }
    if (typeof ack.seq === "number" && !ack.error) return w.resolve(ack.seq);
    const reason = `JetStream refused it: ${ack.error?.description ?? "no sequence"}`;
    if (PERMANENT.has(ack.error?.err_code ?? 0)) {
      return w.reject(new StoreError(`Not stored: ${reason}`, { subject: w.subject }));
    }
    this.#again(id, w, reason);
  }

  /** Sends `w` again after a backoff, or fails it once it has been tried for long enough. */
  #again(id: number, w: Waiting, reason: string): void {
    const backoff = Math.min(LONGEST_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (w.tries - 1));
    if (Date.now() + backoff - w.firstAt > this.retry.forMs) {
      return w.reject(
        new StoreError(
          `Not stored after ${w.tries} tries in ${Date.now() - w.firstAt} ms: ${reason}`,
          { subject: w.subject },
        ),
      );
    }
    if (this.#retrying++ === 0) {
      // One line per burst of retries, not one per message of an election.
      this.retry.log.warn("store.retrying", {
        subject: w.subject,
        reason,
        action: `sending again (same Nats-Msg-Id) for up to ${this.retry.forMs} ms`,
      });
    }
    setTimeout(() => {
      this.#retrying--;
      this.#send(id, w);
    }, backoff);
  }

  #sweep(): void {
    const limit = Date.now() - this.timeoutMs;
    // In order of sending: every (re)send goes to the end of the map.
    for (const [id, w] of this.#waiting) {
      if (w.sentAt > limit) break;
      this.#waiting.delete(id);
      this.#again(id, w, `no answer within ${this.timeoutMs} ms`);
    }
  }
}
