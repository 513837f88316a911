import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { RETAIN_HEADER } from "../mqtt/message_props.ts";
import { QOS_HEADER } from "./bus_message.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { receives } from "../mqtt/subject_match.ts";
import type { JsApi } from "./js_api.ts";
import { RETAINED_STREAM, RETAINED_SUBJECTS } from "./names.ts";
import { type RetainedMessage, toRetained } from "./retained_message.ts";

/** How long a lookup waits for the cache to reach the stream's last message. */
const CATCH_UP_MS = 2000;

/**
 * This instance's copy of the retained messages, for wildcard SUBSCRIBEs: followed from the
 * retained stream by one long-lived ordered consumer (the last message per topic, then every
 * change), bounded in bytes. A lookup first asks the stream for its last sequence and waits until
 * the copy has it, so it sees every retained message stored before the SUBSCRIBE, on any
 * instance. Past its bound, or while its feed is down, the cache answers nothing and lookups
 * go to the stream: no instance needs all retained messages in memory.
 */
export class RetainedCache {
  #bySubject = new Map<string, RetainedMessage>();
  #bytes = 0;
  /** Stream sequence of the last message applied. */
  #seq = 0;
  #usable = false;
  #stopped = false;
  #waiters: Array<{ seq: number; done: (reached: boolean) => void }> = [];
  #stop: (() => void) | null = null;

  constructor(
    readonly js: JetStreamClient,
    readonly api: JsApi,
    /** Bytes of payload and topic held at most; 0 turns the cache off. */
    readonly maxBytes: number,
    readonly log: Logger,
  ) {}

  /** Starts following the stream; lookups use the stream until the copy is usable. */
  start(): void {
    if (this.maxBytes > 0) void this.#follow();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#usable = false;
    this.#stop?.();
    for (const w of this.#waiters.splice(0)) w.done(false);
  }

  /** What monitoring shows: entries, bytes held, and whether lookups use it now. */
  get state(): { entries: number; bytes: number; in_use: boolean } {
    return { entries: this.#bySubject.size, bytes: this.#bytes, in_use: this.#usable };
  }

  /**
   * The retained messages whose subject the NATS pattern `pattern` matches, as of now; null
   * when the cache cannot say (off, over its bound, behind, or its feed down).
   */
  async match(pattern: string): Promise<RetainedMessage[] | null> {
    if (!this.#usable) return null;
    let last: number;
    try {
      last = (await this.api.call<{ state: { last_seq: number } }>(
        `STREAM.INFO.${RETAINED_STREAM}`,
      )).state.last_seq;
    } catch {
      return null;
    }
    if (this.#seq < last && !(await this.#reached(last))) return null;
    if (!this.#usable) return null;
    const out: RetainedMessage[] = [];
    for (const [subject, m] of this.#bySubject) if (receives(pattern, subject)) out.push(m);
    return out;
  }

  #reached(seq: number): Promise<boolean> {
    return new Promise((done) => {
      const w = { seq, done };
      this.#waiters.push(w);
      setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1)[0]?.done(false);
      }, CATCH_UP_MS);
    });
  }

  async #follow(): Promise<void> {
    if (this.#stopped) return;
    try {
      const consumer = await this.js.consumers.get(RETAINED_STREAM, {
        filter_subjects: RETAINED_SUBJECTS,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      // Large pulls: catching up after a burst of retained PUBLISHes is what lookups wait for.
      const messages = await consumer.consume({ max_messages: 2048 });
      this.#stop = () => void messages.stop();
      if (this.#stopped) return this.#stop();
      this.#usable = true;
      for await (const m of messages) {
        this.#apply(m.seq, compact(toRetained(m.subject, m.data, m.headers)));
        if (this.#overBound) {
          messages.stop();
          break;
        }
      }
    } catch (err) {
      this.log.warn("retained.cache_off", {
        ...describeError(err),
        action: "wildcard SUBSCRIBEs read retained messages from the stream meanwhile",
      });
    }
    this.#usable = false;
    this.#bySubject.clear();
    this.#bytes = 0;
    this.#seq = 0;
    // Its feed ended without being asked to (not over its bound): start again from scratch.
    if (!this.#stopped && !this.#overBound) {
      setTimeout(() => void this.#follow(), 1000).unref?.();
    }
  }

  /** The retained messages took more than the bound: off until the instance restarts. */
  #overBound = false;

  #apply(seq: number, m: RetainedMessage): void {
    const before = this.#bySubject.get(m.subject);
    if (before) this.#bytes -= cost(before);
    // An empty payload is the topic's deletion, kept as a tombstone in the stream.
    if (m.payload.length === 0) this.#bySubject.delete(m.subject);
    else {
      this.#bySubject.set(m.subject, m);
      this.#bytes += cost(m);
    }
    this.#seq = seq;
    if (this.#bytes > this.maxBytes) {
      this.#usable = false;
      this.#overBound = true;
      this.log.warn("retained.cache_off", {
        reason: `retained messages take more than retained_cache (${this.maxBytes} bytes)`,
        action: "wildcard SUBSCRIBEs read retained messages from the stream",
      });
    }
    if (this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.seq <= seq) w.done(true);
      else this.#waiters.push(w);
    }
  }
}

/** Headers every retained message has, which delivery reads from the message itself. */
const PLAIN_HEADERS = new Set(
  [QOS_HEADER, RETAIN_HEADER, "Nats-Msg-Id"].map((h) => h.toLowerCase()),
);

/**
 * The message as the cache keeps it: its own copy of the payload (the library's may be a view of
 * a whole read buffer, which it would keep alive) and headers only when it has MQTT 5 properties
 * (a decoded header set costs far more than a small payload).
 */
function compact(m: RetainedMessage): RetainedMessage {
  let headers: MsgHdrs | undefined;
  for (const [k, values] of m.headers ?? []) {
    if (PLAIN_HEADERS.has(k.toLowerCase())) continue;
    headers ??= natsHeaders();
    for (const v of values) headers.append(k, v);
  }
  return { subject: m.subject, payload: m.payload.slice(), qos: m.qos, headers };
}

/**
 * What a retained message costs the cache: its payload, topic and headers, and the entry (480
 * bytes: 100,000 small retained messages measured 55 MB of heap after a full GC).
 */
const cost = (m: RetainedMessage): number =>
  m.payload.length + m.subject.length * 2 + (m.headers ? 512 : 0) + 480;
