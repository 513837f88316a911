import { describe, expect, test } from "bun:test";
import { SerialQueue } from "../src/front/serial_queue.ts";

const noFlow = { pause() {}, resume() {} };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("serial queue", () => {
  test("runs items one at a time, in order, each to completion", async () => {
    const log: string[] = [];
    const q = new SerialQueue<number>(noFlow, {
      async run(n) {
        log.push(`start ${n}`);
        await tick();
        log.push(`end ${n}`);
      },
    });
    for (const n of [1, 2, 3]) q.push(n);
    while (log.length < 6) await tick();
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  test("keeps nothing it has run: an idle connection does not hold its CONNECT", async () => {
    const q = new SerialQueue<{ packet: Uint8Array }>(noFlow, { run() {} });
    let ref: WeakRef<object> | null = null;
    (() => {
      const item = { packet: new Uint8Array(1024) };
      ref = new WeakRef(item);
      q.push(item);
    })();
    // WeakRef targets live to the end of the job that made them; then a full collection.
    for (let i = 0; i < 5 && ref!.deref(); i++) {
      await tick();
      Bun.gc(true);
    }
    expect(ref!.deref()).toBeUndefined();
  });
});
