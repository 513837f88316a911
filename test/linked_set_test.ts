import { expect, test } from "bun:test";
import { type Linked, LinkedSet } from "../src/front/linked_set.ts";

class Item implements Linked<Item> {
  linkPrev: Item | null = null;
  linkNext: Item | null = null;
  constructor(readonly name: string) {}
}

const names = (set: LinkedSet<Item>) => [...set].map((i) => i.name).sort();

test("linked set: members come and go, each counted once", () => {
  const set = new LinkedSet<Item>();
  const [a, b, c] = [new Item("a"), new Item("b"), new Item("c")] as const;
  for (const i of [a, b, c, b]) set.add(i);
  expect(set.size).toBe(3);
  expect(names(set)).toEqual(["a", "b", "c"]);
  // The middle, an end, and one already gone.
  expect(set.delete(b)).toBe(true);
  expect(set.delete(b)).toBe(false);
  expect(set.delete(c)).toBe(true);
  expect(set.size).toBe(1);
  expect(names(set)).toEqual(["a"]);
  expect(set.has(b)).toBe(false);
  set.add(b);
  expect(names(set)).toEqual(["a", "b"]);
  // One that was never in it.
  expect(set.delete(new Item("d"))).toBe(false);
  expect(set.size).toBe(2);
});

test("linked set: every member is visited while each visit removes members", () => {
  const set = new LinkedSet<Item>();
  const items = Array.from({ length: 10 }, (_, i) => new Item(String(i)));
  for (const i of items) set.add(i);
  const seen: string[] = [];
  for (const i of set) {
    seen.push(i.name);
    set.delete(i);
    // A shutdown may end others too while it visits one.
    const other = items[(Number(i.name) + 5) % 10] as Item;
    set.delete(other);
  }
  expect(seen.sort()).toEqual(items.map((i) => i.name).sort());
  expect(set.size).toBe(0);
  expect([...set]).toEqual([]);
});

test("linked set: iterated in the order added, as a Set is (a drain sends the oldest away first)", () => {
  const set = new LinkedSet<Item>();
  const [a, b, c, d] = [new Item("a"), new Item("b"), new Item("c"), new Item("d")] as const;
  for (const i of [a, b, c]) set.add(i);
  set.delete(c); // the newest gone: the next one added comes after b
  set.add(d);
  set.delete(a);
  set.add(a);
  expect([...set].map((i) => i.name)).toEqual(["b", "d", "a"]);
});
