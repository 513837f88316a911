import { expect, test } from "bun:test";
import { subjectMatches } from "../src/mqtt/subject_match.ts";

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
