import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { StoreError } from "../errors.ts";
import { INBOX_PREFIX } from "./names.ts";

interface Waiting {
  readonly resolve: (seq: number) => void;
  readonly reject: (err: StoreError) => void;
  readonly subject: string;
  readonly at: number;
}

const decoder = new TextDecoder();

/**
 * JetStream publishes, pipelined: each goes out with a reply subject under one wildcard inbox,
 * and its acknowledgement is matched by number. Per message that is one NATS publish and one
 * map entry, where the client library's request makes an inbox, a timer and a stack trace.
 * Timeouts are swept once a second.
 */
export class StorePipeline {
  #waiting = new Map<number, Waiting>();
  #next = 0;
  #prefix: string;
  #sub: Subscription;
  #sweeper: ReturnType<typeof setInterval>;

  constructor(readonly nc: NatsConnection, readonly timeoutMs: number) {
    this.#prefix = `${INBOX_PREFIX}.store.${crypto.randomUUID().replaceAll("-", "")}`;
    this.#sub = nc.subscribe(`${this.#prefix}.*`, { callback: (_e, m) => this.#answer(m) });
    this.#sweeper = setInterval(() => this.#sweep(), 1000);
    this.#sweeper.unref?.();
  }

  /** Resolves to the stream sequence once JetStream has stored the message. */
  store(subject: string, payload: Uint8Array, headers: MsgHdrs): Promise<number> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, subject, at: Date.now() });
      this.nc.publish(subject, payload, { reply: `${this.#prefix}.${id}`, headers });
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

  #answer(m: Msg): void {
    const id = Number(m.subject.slice(this.#prefix.length + 1));
    const w = this.#waiting.get(id);
    if (!w) return;
    this.#waiting.delete(id);
    if (m.headers?.hasError) {
      const why = m.headers.code === 503 ? "no stream listens on it" : m.headers.description;
      return w.reject(new StoreError(`Not stored: ${why}`, { subject: w.subject }));
    }
    try {
      const ack = JSON.parse(decoder.decode(m.data)) as {
        seq?: number;
        error?: { description?: string };
      };
      if (ack.error || typeof ack.seq !== "number") {
        w.reject(new StoreError(`Not stored: ${ack.error?.description}`, { subject: w.subject }));
      } else w.resolve(ack.seq);
    } catch (cause) {
      w.reject(
        new StoreError("Not stored: unreadable acknowledgement", { subject: w.subject }, { cause }),
      );
    }
  }

  #sweep(): void {
    const limit = Date.now() - this.timeoutMs;
    for (const [id, w] of this.#waiting) {
      if (w.at > limit) break; // in order of age: the rest are younger
      this.#waiting.delete(id);
      w.reject(
        new StoreError(`Not stored: no answer within ${this.timeoutMs} ms`, { subject: w.subject }),
      );
    }
  }
}
