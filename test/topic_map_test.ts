import { describe, expect, test } from "bun:test";
import { TopicError } from "../src/errors.ts";
import {
  filterToSubjects,
  MAX_SUBJECT_BYTES,
  subjectToTopic,
  topicBytes,
  topicToSubject,
} from "../src/mqtt/topic_map.ts";
import { MAPPING_TABLE } from "./fixtures/mapping_table.ts";

describe("topic map: topic → subject", () => {
  for (const [topic, subject] of MAPPING_TABLE) {
    test(`"${topic}" → "${subject}"`, () => {
      expect(topicToSubject(topic)).toBe(subject);
    });
    test(`"${subject}" → "${topic}" (reverse)`, () => {
      expect(subjectToTopic(subject)).toBe(topic);
    });
  }

  const rejected: ReadonlyArray<readonly [string, string]> = [
    ["foo.bar", '"." is not allowed'],
    ["foo bar", "space is not allowed"],
    ["foo\tbar", "whitespace is not allowed"],
    ["foo\nbar", "whitespace is not allowed"],
    ["foo*", '"*" is not allowed'],
    ["foo/>", '">" is not allowed'],
    ["foo/+", "must not contain wildcards [MQTT-3.3.2-2]"],
    ["foo/#", "must not contain wildcards [MQTT-3.3.2-2]"],
    ["", "must not be empty [MQTT-4.7.3-1]"],
    ["a\u0000b", "is not allowed"],
    ["$JETMQ/msgs/x", 'reserved namespace "$JETMQ"'],
    ["$JS/API/STREAM/DELETE/x", 'reserved namespace "$JS"'],
    ["$KV/jetmq_sessions/x", 'reserved namespace "$KV"'],
    ["$SYS/x", 'reserved namespace "$SYS"'],
  ];
  for (const [topic, message] of rejected) {
    test(`"${JSON.stringify(topic)}" is rejected: ${message}`, () => {
      const result = topicToSubject(topic);
      expect(result).toBeInstanceOf(TopicError);
      expect((result as TopicError).message).toContain(message);
    });
  }

  test("a topic mapping to a subject longer than the NATS control line allows is rejected", () => {
    expect(topicToSubject("a/".repeat(MAX_SUBJECT_BYTES / 2) + "b")).toBeInstanceOf(TopicError);
    expect(topicToSubject("a".repeat(MAX_SUBJECT_BYTES))).toBe("a".repeat(MAX_SUBJECT_BYTES));
  });

  test("topics beginning with $ outside the reserved namespaces map like any other", () => {
    expect(topicToSubject("$aws/things/x")).toBe("$aws.things.x");
  });
});

describe("topic map: filter → subjects", () => {
  const table: ReadonlyArray<readonly [string, string[]]> = [
    ["foo/bar", ["foo.bar"]],
    ["/foo/bar", ["/.foo.bar"]],
    ["foo/bar/", ["foo.bar./"]],
    ["foo//bar", ["foo./.bar"]],
    ["//foo/bar", ["/./.foo.bar"]],
    ["+", ["*"]],
    ["foo/+", ["foo.*"]],
    ["+/bar/+", ["*.bar.*"]],
    ["#", [">"]],
    ["foo/#", ["foo.>", "foo"]],
    ["foo/+/#", ["foo.*.>", "foo.*"]],
    ["/#", ["/.>", "/"]],
    ["+/#", ["*.>", "*"]],
  ];
  for (const [filter, subjects] of table) {
    test(`"${filter}" → ${JSON.stringify(subjects)}`, () => {
      expect(filterToSubjects(filter)).toEqual(subjects);
    });
  }

  const rejected: ReadonlyArray<readonly [string, string]> = [
    ["foo.bar/#", '"." is not allowed'],
    ["foo bar", "space is not allowed"],
    ["foo/*", '"*" is not allowed'],
    ["foo/>", '">" is not allowed'],
    ["foo/#/bar", "[MQTT-4.7.1-2]"],
    ["foo#", "[MQTT-4.7.1-2]"],
    ["foo+/bar", "[MQTT-4.7.1-3]"],
    ["", "[MQTT-4.7.3-1]"],
    ["$JETMQ/#", "reserved namespace"],
    ["$JS/API/#", "reserved namespace"],
  ];
  for (const [filter, message] of rejected) {
    test(`"${filter}" is rejected: ${message}`, () => {
      const result = filterToSubjects(filter);
      expect(result).toBeInstanceOf(TopicError);
      expect((result as TopicError).message).toContain(message);
    });
  }
});

describe("topic map: subject → topic for NATS-only subjects", () => {
  test("a NATS subject holding '/' inside a token maps the way nats-server maps it", () => {
    expect(subjectToTopic("a/b.c")).toBe("a/b/c");
    expect(subjectToTopic("a//.b")).toBe("a///b");
    expect(subjectToTopic("_INBOX.abc")).toBe("_INBOX/abc");
  });
});

test("a topic maps the same way every time (remembered or not): invalid stays invalid", () => {
  for (let i = 0; i < 3; i++) {
    expect(topicToSubject("memo/a b")).toBeInstanceOf(TopicError);
    expect(topicToSubject("memo/ok")).toBe("memo.ok");
    const long = `memo/${"x".repeat(300)}`;
    expect(topicToSubject(long)).toBe(long.replace("/", "."));
    expect(new TextDecoder().decode(topicBytes("memo.ok"))).toBe("memo/ok");
  }
});
