import { describe, expect, test } from "bun:test";
import { readConnectFrame } from "../src/mqtt/connect_frame.ts";
import { PacketDecoder } from "../src/mqtt/codec.ts";
import { connectBytes, type ConnectParts } from "./helpers/connect_bytes.ts";

const BAD_UTF8 = Uint8Array.of(0x61, 0xc3, 0x28); // a lone lead byte
const SURROGATE = Uint8Array.of(0xed, 0xa0, 0x80); // U+D800 encoded

const cases: Array<[string, ConnectParts, RegExp | null]> = [
  ["a plain CONNECT", {}, null],
  ["a will at QoS 2 with retain", { will: { topic: "w", qos: 2, retain: true } }, null],
  ["user name and password", { username: "u", password: Uint8Array.of(0xff) }, null],
  ["reserved flag 1", { flags: 0x03 }, /reserved flag.*\[MQTT-3\.1\.2-3\]/],
  ["Will QoS 1 without a will", { flags: 0x02 | 0x08 }, /Will QoS.*\[MQTT-3\.1\.2-13\]/],
  ["Will QoS 3 bits without a will", { flags: 0x02 | 0x18 }, /\[MQTT-3\.1\.2-13\]/],
  ["Will Retain without a will", { flags: 0x02 | 0x20 }, /Will Retain.*\[MQTT-3\.1\.2-15\]/],
  ["a client id that is not UTF-8", { clientId: BAD_UTF8 }, /client id.*\[MQTT-1\.5\.3-1\]/],
  ["a client id with a surrogate", { clientId: SURROGATE }, /client id.*\[MQTT-1\.5\.3-1\]/],
  ["a will topic that is not UTF-8", { will: { topic: BAD_UTF8 } }, /will topic.*UTF-8/],
  ["a user name that is not UTF-8", { username: BAD_UTF8 }, /user name.*UTF-8/],
  // The password is binary data: any bytes are fine.
  ["a password that is not UTF-8", { username: "u", password: BAD_UTF8 }, null],
];

describe("CONNECT frame rules", () => {
  for (const [name, parts, expected] of cases) {
    test(`${name}: ${expected ? "refused" : "accepted"}`, () => {
      const read = readConnectFrame(connectBytes(parts));
      if (expected) expect(read && "violation" in read ? read.violation : "").toMatch(expected);
      else expect(read).toBeNull();
    });
  }

  test("the decoder reports a broken rule as a protocol error and decodes nothing more", () => {
    const errors: string[] = [];
    const packets: string[] = [];
    const d = new PacketDecoder(1024, {
      packet: (p) => packets.push(p.cmd),
      error: (e) => errors.push(e.message),
    });
    d.push(connectBytes({ flags: 0x02 | 0x20 }));
    d.push(Uint8Array.of(0xc0, 0x00)); // PINGREQ
    expect(packets).toEqual([]);
    expect(errors).toEqual([
      "CONNECT Will Retain is set while the Will Flag is 0 [MQTT-3.1.2-15]",
    ]);
  });

  test("a truncated CONNECT is left to the decoder, which calls it malformed", () => {
    const whole = connectBytes({ clientId: "abcdef" });
    const cut = whole.slice(0, whole.length - 3);
    cut[1] = cut.length - 2;
    expect(readConnectFrame(cut)).toBeNull();
    const errors: string[] = [];
    new PacketDecoder(1024, { packet: () => {}, error: (e) => errors.push(e.message) }).push(cut);
    expect(errors[0]).toMatch(/Malformed packet/);
  });
});
