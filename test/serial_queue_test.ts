import { describe, expect, test } from "bun:test";
import { SerialQueue } from "../src/front/serial_queue.ts";

const noFlow = { pause() {}, resume() {} };
const unexpected = (_item: unknown, err: unknown) => {
  throw new Error(`no item should fail here: ${err}`);
};
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("serial queue", () => {
  test("runs items one at a time, in order, each to completion", async () => {
    const log: string[] = [];
    const q = new SerialQueue<number>(noFlow, {
      failedToRun: unexpected,
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

  test("an item pushed while nothing waits runs at once; one pushed meanwhile waits its turn", async () => {
    const log: string[] = [];
    const q = new SerialQueue<string>(noFlow, {
      failedToRun: unexpected,
      run(item) {
        log.push(item);
        if (item === "sync") q.push("pushed while running");
        if (item === "async") return tick().then(() => void log.push("async done"));
      },
    });
    q.push("sync");
    // The synchronous item ran inside push; what it pushed waits for it, then runs.
    expect(log[0]).toBe("sync");
    q.push("async");
    q.push("after");
    while (log.length < 5) await tick();
    expect(log).toEqual(["sync", "pushed while running", "async", "async done", "after"]);
  });

  test("keeps nothing it has run: an idle connection does not hold its CONNECT", async () => {
    const q = new SerialQueue<{ packet: Uint8Array }>(noFlow, {
      run() {},
      failedToRun: unexpected,
    });
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

  test("an item that throws or rejects is reported, and the items after it still run (a connection's end)", async () => {
    const ran: string[] = [];
    const failed: string[] = [];
    const q = new SerialQueue<string>(noFlow, {
      run(item) {
        ran.push(item);
        if (item === "throws") throw new Error("sync");
        if (item === "rejects") return tick().then(() => Promise.reject(new Error("async")));
      },
      failedToRun(item, err) {
        failed.push(`${item}: ${(err as Error).message}`);
      },
    });
    // Thrown while nothing waited (run inside push), then rejected while others waited.
    q.push("throws");
    q.push("rejects");
    q.push("after rejects");
    q.push("ended");
    while (ran.length < 4) await tick();
    expect(ran).toEqual(["throws", "rejects", "after rejects", "ended"]);
    expect(failed).toEqual(["throws: sync", "rejects: async"]);
    // The queue is idle again: the next item runs at once.
    q.push("next");
    expect(ran.at(-1)).toBe("next");
  });
});
