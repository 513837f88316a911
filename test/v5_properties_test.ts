import { describe, expect, test } from "bun:test";
import * as mqttPacket from "mqtt-packet";
import {
  decodeProperties,
  encodeProperties,
  type Properties,
  type PropertyContext,
} from "../src/mqtt/v5_properties.ts";
import { encodeVarint, readVarint, varintLength } from "../src/mqtt/varint.ts";

/** A property block: its length, then the given property bytes. */
const block = (...bytes: number[]) => Uint8Array.from([...encodeVarint(bytes.length), ...bytes]);
const str = (s: string) => {
  const b = new TextEncoder().encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
};
const decode = (bytes: Uint8Array, context: PropertyContext) => decodeProperties(bytes, 0, context);

describe("MQTT 5 properties", () => {
  test("a PUBLISH's properties survive encode and decode, user properties in order with repeats [MQTT-3.3.2-18]", () => {
    const props: Properties = {
      payloadFormatIndicator: 1,
      messageExpiryInterval: 3600,
      contentType: "application/json",
      responseTopic: "replies/device-7",
      correlationData: Uint8Array.of(0, 1, 2, 255),
      subscriptionIdentifiers: [7, 268_435_455],
      topicAlias: 3,
      userProperties: [["b", "2"], ["a", "1"], ["b", ""], ["ünï", "cødé"]],
    };
    const bytes = encodeProperties(props);
    const out = decode(bytes, "publish");
    if ("reason" in out) throw new Error(out.message);
    expect(out.properties).toEqual(props);
    expect(out.next).toBe(bytes.length);
    // The raw block is what a forwarder copies: the bytes after the length, exactly.
    expect([...out.raw]).toEqual([...bytes.subarray(varintLength(out.raw.length))]);
  });

  test("properties encoded by another implementation (mqtt-packet) decode to the same values", () => {
    const frame = mqttPacket.generate({
      cmd: "publish",
      topic: "t",
      payload: Buffer.from("x"),
      qos: 0,
      dup: false,
      retain: false,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        contentType: "text/plain",
        responseTopic: "r/t",
        correlationData: Buffer.from([9, 8]),
        userProperties: { k: "v" },
      },
    }, { protocolVersion: 5 });
    // Fixed header (2 bytes here), topic "t" (3 bytes), then the property block.
    const out = decodeProperties(frame, 5, "publish");
    if ("reason" in out) throw new Error(out.message);
    expect(out.properties).toEqual({
      payloadFormatIndicator: 1,
      messageExpiryInterval: 60,
      contentType: "text/plain",
      responseTopic: "r/t",
      correlationData: Uint8Array.of(9, 8),
      userProperties: [["k", "v"]],
    });
    expect(new TextDecoder().decode(frame.subarray(out.next))).toBe("x");
  });

  test("a CONNACK's capabilities encode as 2.2.2.2 lists them", () => {
    const bytes = encodeProperties({
      receiveMaximum: 100,
      maximumQos: 1,
      retainAvailable: 1,
      maximumPacketSize: 1_048_576,
      topicAliasMaximum: 10,
      sharedSubscriptionAvailable: 0,
    });
    expect([...bytes]).toEqual([
      17,
      ...[0x21, 0, 100],
      ...[0x22, 0, 10],
      ...[0x24, 1],
      ...[0x25, 1],
      ...[0x27, 0, 0x10, 0, 0],
      ...[0x2a, 0],
    ]);
  });

  const refused: Array<[string, Uint8Array, PropertyContext, number, string]> = [
    [
      "a property the packet may not carry",
      block(0x11, 0, 0, 0, 1),
      "publish",
      0x81,
      "not allowed",
    ],
    ["an unknown property", block(0x05, 1), "publish", 0x81, "unknown property 0x5"],
    ["a value cut short", block(0x02, 0, 0), "publish", 0x81, "cut short"],
    ["a block longer than the packet", Uint8Array.of(10, 0x01, 1), "publish", 0x81, "past the end"],
    ["ill-formed UTF-8 [MQTT-1.5.4-1]", block(0x03, 0, 2, 0xc3, 0x28), "publish", 0x81, "UTF-8"],
    ["U+0000 in a string [MQTT-1.5.4-2]", block(0x03, 0, 1, 0), "publish", 0x81, "U+0000"],
    [
      "a property given twice",
      block(0x03, ...str("a"), 0x03, ...str("b")),
      "publish",
      0x82,
      "more than once",
    ],
    ["Payload Format Indicator 2", block(0x01, 2), "publish", 0x82, "outside 0..1"],
    ["Receive Maximum 0", block(0x21, 0, 0), "connect", 0x82, "outside 1..65535"],
    ["Maximum Packet Size 0", block(0x27, 0, 0, 0, 0), "connect", 0x82, "outside"],
    ["Subscription Identifier 0", block(0x0b, 0), "subscribe", 0x82, "outside"],
    [
      "two Subscription Identifiers on SUBSCRIBE",
      block(0x0b, 1, 0x0b, 2),
      "subscribe",
      0x82,
      "more than once",
    ],
    ["Request Problem Information 2", block(0x17, 2), "connect", 0x82, "outside"],
    [
      "a Will Delay Interval outside a will",
      block(0x18, 0, 0, 0, 5),
      "connect",
      0x81,
      "not allowed",
    ],
  ];
  for (const [name, bytes, context, reason, message] of refused) {
    test(`refused: ${name} (0x${reason.toString(16)})`, () => {
      const out = decode(bytes, context);
      expect(out).toMatchObject({ reason });
      expect("message" in out ? out.message : "").toContain(message);
    });
  }

  test("a will may carry the Will Delay Interval; repeated user properties are allowed anywhere", () => {
    const out = decode(
      block(0x18, 0, 0, 0, 30, 0x26, ...str("k"), ...str("1"), 0x26, ...str("k"), ...str("2")),
      "will",
    );
    expect(out).toMatchObject({
      properties: { willDelayInterval: 30, userProperties: [["k", "1"], ["k", "2"]] },
    });
  });

  test("variable byte integers: 1 to 4 bytes, a fifth is refused", () => {
    for (const n of [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455]) {
      const bytes = encodeVarint(n);
      expect(bytes.length).toBe(varintLength(n));
      expect(readVarint(bytes, 0)).toEqual({ value: n, size: bytes.length });
    }
    expect(readVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01), 0)).toBeNull();
    expect(readVarint(Uint8Array.of(0x80), 0)).toBeNull();
  });
});
