import { describe, expect, test } from "bun:test";
import { Outbound } from "../src/front/outbound.ts";
import type { Transport } from "../src/runtime/types.ts";

/** A socket that takes everything and records each write's size. */
function recordingTransport(): Transport & { writes: number[] } {
  const writes: number[] = [];
  return {
    writes,
    kind: "tcp",
    remoteAddress: "127.0.0.1:1",
    write: (data) => (writes.push(data.length), data.length),
    end() {},
    pause() {},
    resume() {},
  };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe("outbound", () => {
  test("what one turn writes goes to the socket in one write at the turn's end", async () => {
    const t = recordingTransport();
    const out = new Outbound(t, 1024 * 1024, { overflow() {} });
    for (let i = 0; i < 100; i++) out.write(new Uint8Array(100), true);
    expect(t.writes).toEqual([]);
    await nextTurn();
    expect(t.writes).toEqual([10_000]);
  });

  test("a turn that fans out more than 64 KiB writes as it goes, not all at its end", async () => {
    const t = recordingTransport();
    const out = new Outbound(t, 1024 * 1024, { overflow() {} });
    for (let i = 0; i < 2_000; i++) out.write(new Uint8Array(100), true);
    // Written within the turn, in writes of 64 KiB and a little more.
    expect(t.writes.length).toBe(3);
    for (const n of t.writes) expect(n).toBeGreaterThanOrEqual(64 * 1024);
    await nextTurn();
    expect(t.writes.reduce((a, b) => a + b, 0)).toBe(200_000);
    expect(out.dropped).toBe(0);
  });
});
