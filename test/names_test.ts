import { expect, test } from "bun:test";
import * as names from "../src/nats/names.ts";

// Changing any of these strings is a data migration for every deployment.
test("names: buckets, streams and subjects are pinned", () => {
  expect(names.INTERNAL_PREFIX).toBe("$JETMQ");
  expect(names.delayedWillKey("abc")).toBe("delayed.abc");
  expect(names.SESSIONS_BUCKET).toBe("jetmq_sessions");
  expect(names.MESSAGES_STREAM).toBe("jetmq_msgs");
  expect(names.MESSAGES_SUBJECTS).toBe("$JETMQ.msgs.>");
  expect(names.INBOX_PREFIX).toBe("$JETMQ._INBOX");
  expect(names.takeoverSubject("a1b2")).toBe("$JETMQ.ctl.takeover.a1b2");
  expect(names.consumerName("k", "foo.>")).toMatch(/^k_[0-9a-f]{16}$/);
  expect(names.deliverSubject("k", "foo.>")).toMatch(/^\$JETMQ\.dlv\.k\.[0-9a-f]{16}$/);
  expect(names.ackSubject("c", 7, 9)).toBe("$JS.ACK.jetmq_msgs.c.1.7.9.0.0");
  expect(names.messageSubject("foo.bar")).toBe("$JETMQ.msgs.foo.bar");
});

test("names: the session key is the full SHA-256 of the client id", () => {
  const key = names.sessionKey("device-1");
  expect(key).toBe("03204de92e11fc8c528139be419065920eb83dbff1a4663bbea455aa6e9702bd");
  expect(names.sessionKey("device-2")).not.toBe(key);
});

test("names: acknowledgement subjects of nats-server 2.9 and later are read", () => {
  expect(names.parseAckSubject("$JS.ACK.S.C.2.17.5.1795448290607875061.0")).toEqual({
    delivered: 2,
    streamSeq: 17,
  });
  expect(names.parseAckSubject("$JS.ACK.dom.acchash.S.C.3.18.6.1795448290607875061.0.tok"))
    .toEqual({ delivered: 3, streamSeq: 18 });
  expect(names.parseAckSubject("$JS.ACK.dom.acchash.S.C.4.19.6.1795448290607875061.0"))
    .toEqual({ delivered: 4, streamSeq: 19 });
  expect(names.parseAckSubject(names.ackSubject("C", 123456789, 7)))
    .toEqual({ delivered: 1, streamSeq: 123456789 });
  expect(names.parseAckSubject("_INBOX.x")).toBeNull();
  expect(names.parseAckSubject(undefined)).toBeNull();
  // Not the protocol: a token too many or too few for any form, numbers that are not numbers.
  expect(names.parseAckSubject("$JS.ACK.S.C.2.17.5.1795448290607875061.0.x")).toBeNull();
  expect(names.parseAckSubject("$JS.ACK.S.C.2.17.5.0")).toBeNull();
  expect(names.parseAckSubject("$JS.ACK.S.C.2.1x.5.1795448290607875061.0")).toBeNull();
  expect(names.parseAckSubject("$JS.ACK.S.C..17.5.1795448290607875061.0")).toBeNull();
  expect(names.parseAckSubject("$JS.ACK.S.C.0.17.5.1795448290607875061.0")).toBeNull();
});
