import { expect, test } from "bun:test";
import { SubjectTrie } from "../src/delivery/subject_trie.ts";
import { subjectMatches } from "../src/mqtt/subject_match.ts";

const PATTERNS = ["foo.bar", "foo.*", "foo.>", ">", "*", "*.bar", "foo", "/.foo.*", "a.*.c.>"];
const SUBJECTS = [
  "foo",
  "foo.bar",
  "foo.baz",
  "foo.bar.baz",
  "x.bar",
  "/.foo.x",
  "a.b.c.d",
  "a.b.c",
];

test("subject trie: matches exactly the patterns NATS would match", () => {
  const trie = new SubjectTrie<string>();
  for (const p of PATTERNS) trie.set(p, p);
  for (const s of SUBJECTS) {
    expect([...trie.match(s)].sort()).toEqual(
      PATTERNS.filter((p) => subjectMatches(p, s)).sort(),
    );
  }
});

test("subject trie: removed patterns no longer match, the others still do", () => {
  const trie = new SubjectTrie<string>();
  for (const p of PATTERNS) trie.set(p, p);
  for (const p of ["foo.>", "*", "a.*.c.>"]) trie.delete(p);
  const left = PATTERNS.filter((p) => !["foo.>", "*", "a.*.c.>"].includes(p));
  for (const s of SUBJECTS) {
    expect([...trie.match(s)].sort()).toEqual(left.filter((p) => subjectMatches(p, s)).sort());
  }
});

test("subject trie: an answer given before a change is not given after it", () => {
  const trie = new SubjectTrie<string>();
  trie.set("a.*", "a.*");
  expect(trie.match("a.b")).toEqual(["a.*"]);
  trie.set("a.b", "a.b");
  expect([...trie.match("a.b")].sort()).toEqual(["a.*", "a.b"]);
  trie.delete("a.*");
  expect(trie.match("a.b")).toEqual(["a.b"]);
});

test("subject trie: finds a pattern's value exactly, and counts the patterns held", () => {
  const trie = new SubjectTrie<number>();
  trie.set("a.*", 1);
  trie.set("a.b", 2);
  trie.set("a.b", 3);
  expect(trie.size).toBe(2);
  expect(trie.get("a.b")).toBe(3);
  expect(trie.get("a.*")).toBe(1);
  // A prefix of a pattern, or a subject a pattern matches, is not that pattern.
  expect(trie.get("a")).toBeUndefined();
  expect(trie.get("a.c")).toBeUndefined();
  trie.delete("a.b");
  trie.delete("a.b");
  expect(trie.size).toBe(1);
  expect(trie.get("a.b")).toBeUndefined();
  expect(trie.match("a.b")).toEqual([1]);
});
