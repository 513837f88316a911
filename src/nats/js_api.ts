import { Empty, type Msg, type MsgHdrs } from "@nats-io/transport-node";
import { StoreError } from "../errors.ts";
import { type InboxRequests, NoAnswerError } from "./inbox_requests.ts";

/** JetStream answered with an error: its code (HTTP-like) and error code (10071, …). */
export class JsApiError extends StoreError {
  constructor(
    message: string,
    readonly code: number,
    readonly errCode: number,
    subject: string,
  ) {
    super(message, { subject });
  }
}

/** Wrong last sequence: a compare-and-set lost to another write. */
export const WRONG_LAST_SEQUENCE = 10071;
/** A delete by sequence failed: "no message found" (or "stream store EOF") when none is there. */
export const MESSAGE_DELETE_FAILED = 10057;
/** No message found (a walk's end, a missing key). */
export const NO_MESSAGE_FOUND = 10037;

/** A message read back from a stream. */
export interface StoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  /** The raw NATS header block ("NATS/1.0\r\nKey: value\r\n…"), empty without headers. */
  readonly headers: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ApiErrorBody {
  code?: number;
  err_code?: number;
  description?: string;
}

/**
 * The few JetStream calls on jetmq's hot paths (KV reads and compare-and-set writes, purges,
 * message gets, consumer info), made through pipelined inbox requests rather than the client
 * library's: cheaper per call, same protocol. Everything else goes through the library.
 */
export class JsApi {
  constructor(readonly requests: InboxRequests) {}

  /** `$JS.API.<api>` with a JSON body; resolves to the JSON answer, throws its error. */
  async call<T>(api: string, body?: unknown): Promise<T> {
    const answer = await this.#answer<T>(api, body);
    if (answer.error) throw apiError(answer.error, `$JS.API.${api}`);
    return answer;
  }

  /** The JSON answer, its error included (a status instead of one throws). */
  async #answer<T>(api: string, body?: unknown): Promise<T & { error?: ApiErrorBody }> {
    const subject = `$JS.API.${api}`;
    const payload = body === undefined ? Empty : encoder.encode(JSON.stringify(body));
    const m = await this.requests.request(subject, payload);
    // A status instead of an answer: 503, no JetStream server is there to take the call.
    if (m.headers?.hasError) throw statusError(m, subject);
    return JSON.parse(decoder.decode(m.data)) as T & { error?: ApiErrorBody };
  }

  /** Publishes to a stream's subject; resolves to the stored sequence (the PubAck's). */
  async publish(subject: string, payload: Uint8Array, headers?: MsgHdrs): Promise<number> {
    const m = await this.requests.request(subject, payload, headers);
    if (m.headers?.hasError) throw statusError(m, subject);
    const ack = JSON.parse(decoder.decode(m.data)) as { seq?: number; error?: ApiErrorBody };
    if (ack.error || typeof ack.seq !== "number") {
      throw apiError(ack.error ?? { description: "no sequence" }, subject);
    }
    return ack.seq;
  }

  /** The last message on `subject` of `stream`, by a direct get (any replica answers). */
  async last(stream: string, subject: string, direct: boolean): Promise<StoredMessage | null> {
    if (!direct) {
      return await this.message(stream, { last_by_subj: subject });
    }
    const api = `$JS.API.DIRECT.GET.${stream}`;
    const m = await this.requests.request(
      api,
      encoder.encode(JSON.stringify({ last_by_subj: subject })),
    );
    if (m.headers?.code === 404) return null;
    if (m.headers?.hasError) throw statusError(m, api);
    return {
      subject: m.headers?.get("Nats-Subject") || subject,
      seq: Number(m.headers?.get("Nats-Sequence")),
      data: m.data,
      headers: headerBlock(m),
    };
  }

  /** A message by the STREAM.MSG.GET query (`seq`, `next_by_subj`, `last_by_subj`), or null. */
  async message(stream: string, query: Record<string, unknown>): Promise<StoredMessage | null> {
    const api = `STREAM.MSG.GET.${stream}`;
    const answer = await this.#answer<{
      message: { subject: string; seq: number; data?: string; hdrs?: string };
    }>(api, query);
    // None is a common answer (a topic without a retained message): no Error made for it.
    if (answer.error?.err_code === NO_MESSAGE_FOUND) return null;
    if (answer.error) throw apiError(answer.error, `$JS.API.${api}`);
    const { message } = answer;
    return {
      subject: message.subject,
      seq: message.seq,
      data: message.data ? Buffer.from(message.data, "base64") : new Uint8Array(0),
      headers: message.hdrs ? Buffer.from(message.hdrs, "base64").toString("utf8") : "",
    };
  }
}

function statusError(m: Msg, subject: string): JsApiError {
  const code = m.headers?.code ?? 0;
  const why = code === 503
    ? "No JetStream server answered (503: electing a leader, or down)"
    : m.headers?.description || `status ${code}`;
  return new JsApiError(why, code, 0, subject);
}

function apiError(e: ApiErrorBody, subject: string): JsApiError {
  return new JsApiError(e.description ?? "JetStream error", e.code ?? 0, e.err_code ?? 0, subject);
}

/** A message's headers as one block, for the few lookups a stored message needs. */
function headerBlock(m: Msg): string {
  if (!m.headers) return "";
  let block = "NATS/1.0\r\n";
  for (const [k, values] of m.headers) for (const v of values) block += `${k}: ${v}\r\n`;
  return block;
}

/** Is this failure the kind a NATS election makes (no answer, no responders)? */
export function isNoAnswer(err: unknown): boolean {
  return err instanceof NoAnswerError || (err instanceof JsApiError && err.code === 503);
}
