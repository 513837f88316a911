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
  const trie = new SubjectTrie();
  for (const p of PATTERNS) trie.add(p);
  for (const s of SUBJECTS) {
    expect([...trie.match(s)].sort()).toEqual(
      PATTERNS.filter((p) => subjectMatches(p, s)).sort(),
    );
  }
});

test("subject trie: removed patterns no longer match, the others still do", () => {
  const trie = new SubjectTrie();
  for (const p of PATTERNS) trie.add(p);
  for (const p of ["foo.>", "*", "a.*.c.>"]) trie.remove(p);
  const left = PATTERNS.filter((p) => !["foo.>", "*", "a.*.c.>"].includes(p));
  for (const s of SUBJECTS) {
    expect([...trie.match(s)].sort()).toEqual(left.filter((p) => subjectMatches(p, s)).sort());
  }
});

test("subject trie: an answer given before a change is not given after it", () => {
  const trie = new SubjectTrie();
  trie.add("a.*");
  expect(trie.match("a.b")).toEqual(["a.*"]);
  trie.add("a.b");
  expect([...trie.match("a.b")].sort()).toEqual(["a.*", "a.b"]);
  trie.remove("a.*");
  expect(trie.match("a.b")).toEqual(["a.b"]);
});
