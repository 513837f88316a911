import { describe, expect, test } from "bun:test";
import { headers } from "@nats-io/transport-node";
import { encodedHeaders, withHeader } from "../src/nats/encoded_headers.ts";

type Wire = { encode(): Uint8Array };
const wire = (h: unknown) => new TextDecoder().decode((h as Wire).encode());

describe("encoded headers", () => {
  test("encode to what the library's own header set encodes to", () => {
    const lib = headers();
    lib.set("KV-Operation", "PURGE");
    lib.set("Nats-Expected-Last-Subject-Sequence", "42");
    const ours = encodedHeaders(
      ["KV-Operation", "PURGE"],
      ["Nats-Expected-Last-Subject-Sequence", "42"],
    );
    expect(wire(ours)).toBe(wire(lib));
  });

  test("one more header goes after the base's, before the blank line", () => {
    const base = headers();
    base.set("Mqtt-Qos", "1");
    const lib = headers();
    lib.set("Mqtt-Qos", "1");
    lib.set("Nats-Msg-Id", "abc.7");
    expect(wire(withHeader(base, "Nats-Msg-Id", "abc.7"))).toBe(wire(lib));
  });

  test("read as a header set, it is an empty one, not an error", () => {
    const h = encodedHeaders(["KV-Operation", "PURGE"]);
    expect(h.get("KV-Operation")).toBe("");
    expect(h.has("KV-Operation")).toBe(false);
    expect(h.hasError).toBe(false);
  });
});
