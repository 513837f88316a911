import { describe, expect, test } from "bun:test";
import { patternsOverlap, subjectMatches } from "../src/mqtt/subject_match.ts";

const table: ReadonlyArray<readonly [string, string, boolean]> = [
  ["foo.bar", "foo.bar", true],
  ["foo.*", "foo.bar", true],
  ["foo.*", "foo", false],
  ["foo.*", "foo.bar.baz", false],
  ["foo.>", "foo.bar.baz", true],
  ["foo.>", "foo", false],
  [">", "foo", true],
  ["*", "foo.bar", false],
  ["*.bar", "foo.bar", true],
  ["foo", "foo.bar", false],
  ["foo.bar", "foo", false],
  ["/.*", "/.foo", true],
];

for (const [pattern, subject, expected] of table) {
  test(`subject match: "${pattern}" ${expected ? "matches" : "does not match"} "${subject}"`, () => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
}

describe("patternsOverlap", () => {
  const table: Array<[string, string, boolean]> = [
    ["a.*", "a.>", true],
    ["a.>", "a", false],
    ["a.*", "a.b", true],
    ["a.*", "a.*.c", false],
    ["a.b", "a.c", false],
    [">", "x", true],
    ["*", "a.b", false],
    ["a.*.c", "a.b.*", true],
  ];
  for (const [a, b, expected] of table) {
    test(`${a} and ${b}: ${expected}`, () => {
      expect(patternsOverlap(a, b)).toBe(expected);
      expect(patternsOverlap(b, a)).toBe(expected);
    });
  }
});
