import { describe, expect, test } from "bun:test";
import { SmallMap } from "../src/delivery/small_map.ts";

/** The same operations on a SmallMap and a Map: they must agree at every size. */
function both(ops: ReadonlyArray<["set", string, number] | ["delete", string]>) {
  const small = new SmallMap<string, number>();
  const map = new Map<string, number>();
  for (const op of ops) {
    if (op[0] === "set") {
      small.set(op[1], op[2]);
      map.set(op[1], op[2]);
    } else {
      expect(small.delete(op[1])).toBe(map.delete(op[1]));
    }
    expect([...small]).toEqual([...map]);
    expect(small.size).toBe(map.size);
  }
  return { small, map };
}

describe("SmallMap", () => {
  test("behaves as a Map with few entries: insertion order, replace in place, delete", () => {
    const { small } = both([
      ["set", "a", 1],
      ["set", "b", 2],
      ["set", "a", 3],
      ["delete", "b"],
      ["delete", "missing"],
      ["set", "c", 4],
    ]);
    expect(small.get("a")).toBe(3);
    expect(small.get("b")).toBeUndefined();
    expect(small.has("c")).toBe(true);
    expect([...small.keys()]).toEqual(["a", "c"]);
    expect([...small.values()]).toEqual([3, 4]);
  });

  test("and with many, past the point where it moves them into a Map", () => {
    const ops: Array<["set", string, number] | ["delete", string]> = [];
    for (let i = 0; i < 20; i++) ops.push(["set", `k${i}`, i]);
    ops.push(["delete", "k3"], ["set", "k3", 33], ["set", "k19", 190]);
    const { small } = both(ops);
    expect(small.get("k3")).toBe(33);
    expect(small.get("k19")).toBe(190);
    const seen: string[] = [];
    small.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toHaveLength(20);
  });
});
