import { expect, test } from "bun:test";
import * as names from "../src/nats/names.ts";

// Changing any of these strings is a data migration for every deployment.
test("names: buckets, streams and subjects are pinned", () => {
  expect(names.INTERNAL_PREFIX).toBe("$JETMQ");
  expect(names.SESSIONS_BUCKET).toBe("jetmq_sessions");
  expect(names.MESSAGES_STREAM).toBe("jetmq_msgs");
  expect(names.MESSAGES_SUBJECTS).toBe("$JETMQ.msgs.>");
  expect(names.INBOX_PREFIX).toBe("$JETMQ._INBOX");
  expect(names.TAKEOVER_SUBJECTS).toBe("$JETMQ.ctl.takeover.*");
  expect(names.messageSubject("foo.bar")).toBe("$JETMQ.msgs.foo.bar");
});

test("names: the session key is the full SHA-256 of the client id", () => {
  const key = names.sessionKey("device-1");
  expect(key).toBe("03204de92e11fc8c528139be419065920eb83dbff1a4663bbea455aa6e9702bd");
  expect(names.sessionKey("device-2")).not.toBe(key);
  expect(names.takeoverSubject(key)).toBe(`$JETMQ.ctl.takeover.${key}`);
  expect(names.keyOfTakeoverSubject(names.takeoverSubject(key))).toBe(key);
});
