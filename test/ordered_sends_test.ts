import { expect, test } from "bun:test";
import { OrderedSends } from "../src/front/ordered_sends.ts";
import { puback } from "../src/mqtt/packets.ts";
import type { Outgoing } from "../src/mqtt/packets.ts";

type Result = Outgoing | { notStored: string } | null;

function recorder() {
  const out: string[] = [];
  const sends = new OrderedSends({
    send: (p) => void out.push(`puback ${(p as { messageId?: number }).messageId}`),
    notStored: (reason) => void out.push(`not stored: ${reason}`),
  });
  return { out, sends };
}

function pending() {
  let resolve!: (r: Result) => void;
  const promise = new Promise<Result>((r) => (resolve = r));
  return { promise, resolve };
}

test("ordered sends: acknowledgements go out in the order added, whatever order stores end in", async () => {
  const { out, sends } = recorder();
  const p = Array.from({ length: 5 }, () => pending());
  for (const x of p) sends.add(x.promise);
  const settled = sends.settled();
  p[3]?.resolve(puback(4));
  p[1]?.resolve(puback(2));
  await Bun.sleep(0);
  expect(out).toEqual([]);
  p[0]?.resolve(puback(1));
  await Bun.sleep(0);
  expect(out).toEqual(["puback 1", "puback 2"]);
  // Nothing to send (a store whose answer is no packet) still keeps its place.
  p[2]?.resolve(null);
  p[4]?.resolve({ notStored: "gone" });
  await settled;
  expect(out).toEqual(["puback 1", "puback 2", "puback 4", "not stored: gone"]);
  // Settled with nothing under way: at once; and the queue starts again from empty.
  await sends.settled();
  const q = pending();
  sends.add(q.promise);
  q.resolve(puback(6));
  await sends.settled();
  expect(out.at(-1)).toBe("puback 6");
});

test("ordered sends: past 1,024 under way the caller is told to wait, until they are sent", async () => {
  const { out, sends } = recorder();
  const p = Array.from({ length: 1024 }, () => pending());
  const answers = p.map((x) => sends.add(x.promise));
  expect(answers.slice(0, 1023).every((a) => a === undefined)).toBe(true);
  const wait = answers[1023];
  expect(wait).toBeInstanceOf(Promise);
  let waited = false;
  void wait?.then(() => (waited = true));
  // Out of order, and through more than one compaction of the queue.
  for (let i = p.length - 1; i >= 0; i--) p[i]?.resolve(puback((i % 65535) + 1));
  await wait;
  expect(waited).toBe(true);
  expect(out).toHaveLength(1024);
  expect(out.slice(0, 3)).toEqual(["puback 1", "puback 2", "puback 3"]);
  expect(out.at(-1)).toBe("puback 1024");
});

test("ordered sends: a store that rejects (not turned into NotStored) ends the connection in its turn", async () => {
  const { out, sends } = recorder();
  const a = pending();
  sends.add(a.promise);
  sends.add(Promise.reject(new Error("boom")));
  a.resolve(puback(1));
  await sends.settled();
  expect(out).toEqual(["puback 1", "not stored: Store failed: boom"]);
});
