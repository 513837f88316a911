import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type JetStreamManager, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { Bucket, RevisionConflict } from "../src/nats/bucket.ts";
import { InboxRequests } from "../src/nats/inbox_requests.ts";
import { JsApi } from "../src/nats/js_api.ts";
import { createLogger } from "../src/log.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;
let api: JsApi;
beforeAll(async () => {
  nats = await startNats({ jetstream: true });
  nc = await nats.client();
  jsm = await jetstreamManager(nc);
  api = new JsApi(new InboxRequests(nc, 5000));
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

const value = new TextEncoder().encode("v");
let n = 0;

/** A bucket as jetmq provisions its own (one message kept per key). */
async function bucket(opts: { watched?: boolean; denyDelete?: boolean } = {}): Promise<Bucket> {
  const name = `b${++n}`;
  const kv = await new Kvm(nc).create(name, { history: 1, storage: StorageType.File });
  if (opts.denyDelete) {
    const info = await jsm.streams.info(`KV_${name}`);
    await jsm.streams.update(`KV_${name}`, { ...info.config, deny_delete: true });
  }
  return new Bucket(kv, name, api, createLogger("silent"), opts.watched ?? false);
}

/** Messages the bucket's stream holds: values, markers, anything. */
async function stored(b: Bucket): Promise<number> {
  return (await jsm.streams.info(b.stream)).state.messages;
}

describe("erasing a key", () => {
  test("at its current revision removes it and leaves nothing in the stream", async () => {
    const b = await bucket();
    const rev = await b.put("k", value);
    await b.put("other", value);
    await b.erase("k", rev);
    expect(await b.get("k")).toBeNull();
    expect(await b.get("other")).not.toBeNull();
    expect(await stored(b)).toBe(1);
  });

  test("at a revision it has moved past is a conflict, and the newer value stays", async () => {
    const b = await bucket();
    const old = await b.put("k", value);
    const now = await b.put("k", value);
    const err = await b.erase("k", old).catch((e) => e);
    expect(err).toBeInstanceOf(RevisionConflict);
    expect((await b.get("k"))?.revision).toBe(now);
  });

  test("twice at the same revision: the second is a conflict (exactly one eraser wins)", async () => {
    const b = await bucket();
    const rev = await b.put("k", value);
    const results = await Promise.allSettled([b.erase("k", rev), b.erase("k", rev)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({
      reason: expect.any(RevisionConflict),
    });
  });

  test("whatever its revision removes it, marker included", async () => {
    const b = await bucket();
    await b.put("k", value);
    await b.put("k", value);
    await b.erase("k");
    expect(await b.get("k")).toBeNull();
    expect(await stored(b)).toBe(0);
  });

  test("in a watched bucket shows as a delete to a watcher, then leaves nothing", async () => {
    const b = await bucket({ watched: true });
    const rev = await b.put("k", value);
    const seen: string[] = [];
    const watcher = await b.kv.watch({ key: "k" });
    const done = (async () => {
      for await (const e of watcher) {
        seen.push(e.operation);
        if (e.operation !== "PUT") break;
      }
    })();
    await b.erase("k", rev);
    await done;
    // The value itself may or may not come first (the watch's start races the erase).
    expect(seen.at(-1)).toBe("PURGE");
    expect(seen.slice(0, -1).every((op) => op === "PUT")).toBe(true);
    expect(await b.get("k")).toBeNull();
    expect(await stored(b)).toBe(0);
  });

  test("in a bucket that forbids deletes still works (by a purge), conflicts included", async () => {
    const b = await bucket({ denyDelete: true });
    const old = await b.put("k", value);
    const now = await b.put("k", value);
    expect(await b.erase("k", old).catch((e) => e)).toBeInstanceOf(RevisionConflict);
    await b.erase("k", now);
    expect(await b.get("k")).toBeNull();
    expect(await stored(b)).toBe(0);
  });
});
