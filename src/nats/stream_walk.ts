import type { JetStreamManager, MsgRequest, StoredMsg } from "@nats-io/jetstream";

/**
 * The messages of `stream` on subjects matching `filter` (wildcards allowed), in stream order
 * from `fromSeq` (up to `toSeq`): one "next message for this subject" request each, and one
 * more that finds none. No consumer is made, so walking leaves nothing behind on the server —
 * unlike a KV key listing, whose ordered consumer lingers for minutes.
 */
export async function* walkSubject(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  fromSeq = 1,
  toSeq = Number.MAX_SAFE_INTEGER,
): AsyncGenerator<StoredMsg> {
  let seq = fromSeq;
  while (seq <= toSeq) {
    // nats.js types omit next_by_subj, which nats-server 2.9 takes with `seq`.
    const query = { seq, next_by_subj: filter } as unknown as MsgRequest;
    const msg = await jsm.streams.getMessage(stream, query);
    if (!msg || msg.seq > toSeq) return;
    yield msg;
    seq = msg.seq + 1;
  }
}

/** The KV operation a bucket message records: "PUT", "DEL" or "PURGE". */
export function kvOperation(msg: StoredMsg): string {
  return msg.header?.get("KV-Operation") || "PUT";
}
