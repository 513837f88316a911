import { describe, expect, test } from "bun:test";
import * as mqttPacket from "mqtt-packet";
import type { IPublishPacket, Packet } from "mqtt-packet";
import { PacketDecoder } from "../src/mqtt/codec.ts";
import { encodePacket } from "../src/mqtt/packet_encoder.ts";
import { encodePublish } from "../src/mqtt/packets.ts";
import type { ProtocolError } from "../src/errors.ts";

function decoder(max = 1024) {
  const packets: Packet[] = [];
  const errors: ProtocolError[] = [];
  const d = new PacketDecoder(max, {
    packet: (p) => packets.push(p),
    error: (e) => errors.push(e),
  });
  return { d, packets, errors };
}

const connectBytes = mqttPacket.generate({
  cmd: "connect",
  protocolId: "MQTT",
  protocolVersion: 4,
  clientId: "c1",
  clean: true,
  keepalive: 30,
});
const v5ConnectBytes = mqttPacket.generate({
  cmd: "connect",
  protocolId: "MQTT",
  protocolVersion: 5,
  clientId: "c5",
  clean: true,
  keepalive: 30,
});

/** What jetmq's decoder and mqtt-packet's parser each make of `packets` after a CONNECT. */
function decodedBothWays(version: 4 | 5, packets: Packet[]) {
  const pick = (p: Packet) => {
    const { cmd, messageId, reasonCode } = p as Packet & {
      messageId?: number;
      reasonCode?: number;
    };
    return { cmd, messageId, reasonCode };
  };
  const { d, packets: decoded, errors } = decoder();
  d.push(version === 5 ? v5ConnectBytes : connectBytes);
  for (const p of packets) d.push(mqttPacket.generate(p, { protocolVersion: version }));
  expect(errors).toEqual([]);
  const theirs = packets.map((p) => {
    const parser = mqttPacket.parser({ protocolVersion: version });
    let out: Packet | null = null;
    parser.on("packet", (x) => (out = x));
    parser.parse(mqttPacket.generate(p, { protocolVersion: version }));
    return pick(out as unknown as Packet);
  });
  return { ours: decoded.slice(1).map(pick), theirs };
}

const publishBytes = (topic: string, payload: string) =>
  mqttPacket.generate({ cmd: "publish", topic, payload, qos: 0, dup: false, retain: false });

describe("codec", () => {
  test("acknowledgements, CONNACK and PINGRESP are encoded byte for byte as mqtt-packet does", () => {
    const packets = [
      { cmd: "puback", messageId: 513 },
      { cmd: "pubrec", messageId: 65535 },
      { cmd: "pubrel", messageId: 1 },
      { cmd: "pubcomp", messageId: 300 },
      { cmd: "unsuback", messageId: 7 },
      { cmd: "connack", returnCode: 0, sessionPresent: true },
      { cmd: "connack", returnCode: 5, sessionPresent: false },
      { cmd: "pingresp" },
    ] as Packet[];
    for (const protocolVersion of [3, 4]) {
      for (const p of packets) {
        expect([...encodePacket(p, protocolVersion)])
          .toEqual([...mqttPacket.generate(p, { protocolVersion })]);
      }
    }
  });

  test("packets split at every byte boundary are reassembled", () => {
    const { d, packets, errors } = decoder();
    const stream = Buffer.concat([connectBytes, publishBytes("a/b", "hello")]);
    for (const byte of stream) d.push(Uint8Array.of(byte));
    expect(errors).toEqual([]);
    expect(packets.map((p) => p.cmd)).toEqual(["connect", "publish"]);
  });

  test("several packets in one chunk are all decoded in order", () => {
    const { d, packets } = decoder();
    d.push(Buffer.concat([connectBytes, publishBytes("a", "1"), publishBytes("b", "2")]));
    expect(packets.map((p) => (p.cmd === "publish" ? p.topic : p.cmd))).toEqual([
      "connect",
      "a",
      "b",
    ]);
  });

  test("an oversized packet is refused from its header, before its body arrives", () => {
    const { d, packets, errors } = decoder(100);
    d.push(Uint8Array.of(0x30, 0xc8, 0x01)); // PUBLISH announcing 200 bytes
    expect(packets).toEqual([]);
    expect(errors[0]?.message).toContain("Packet of 203 bytes exceeds max_packet_size 100");
  });

  test("a remaining length over four bytes is malformed", () => {
    const { d, errors } = decoder();
    d.push(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01));
    expect(errors[0]?.message).toContain("more than 4 bytes");
  });

  test("a CONNECT with an unknown protocol level still reaches the handler [MQTT-3.1.2-2]", () => {
    const { d, packets, errors } = decoder();
    const bytes = Buffer.from(connectBytes);
    bytes[8] = 6; // protocol level byte after 0x10, length, 0x00 0x04 "MQTT"
    d.push(bytes);
    expect(errors).toEqual([]);
    expect(packets[0]).toMatchObject({ cmd: "connect", protocolId: "MQTT", protocolVersion: 6 });
  });

  test("reserved header flags are a protocol error [MQTT-2.2.2-2]", () => {
    const { d, errors } = decoder();
    d.push(connectBytes);
    d.push(Uint8Array.of(0xc1, 0x00)); // PINGREQ with a flag bit set
    expect(errors[0]?.message).toContain("Malformed packet");
  });

  test("a bad first header byte is refused before the rest of the packet arrives", () => {
    for (
      const [byte, why] of [[0x47, "of PUBACK must be 0x0"], [0x80, "of SUBSCRIBE must be 0x2"], [
        0x00,
        "type 0 is reserved",
      ], [0x36, "QoS 3"]] as const
    ) {
      const { d, errors } = decoder();
      d.push(Uint8Array.of(byte, 0x7f)); // promises 127 more bytes that never come
      expect(errors[0]?.message).toContain(why);
    }
  });

  test("PUBLISH is decoded as mqtt-packet decodes it, at QoS 0 and 1", () => {
    for (const qos of [0, 1] as const) {
      const { d, packets, errors } = decoder();
      d.push(connectBytes);
      const p = {
        cmd: "publish",
        topic: "a/ü/c",
        payload: Buffer.from("x".repeat(300)),
        qos,
        dup: qos === 1,
        retain: true,
        messageId: qos ? 7 : undefined,
      } as const;
      d.push(mqttPacket.generate(p));
      expect(errors).toEqual([]);
      const got = packets[1] as IPublishPacket;
      expect(Buffer.from(got.payload).toString()).toBe("x".repeat(300));
      expect({ ...got, payload: null }).toEqual({ ...p, payload: null });
    }
  });

  test("PUBACK, PUBREC, PUBREL and PUBCOMP decode to what mqtt-packet gives, for 3.1.1 and MQTT 5", () => {
    for (const version of [4, 5] as const) {
      const acks = [
        { cmd: "puback", messageId: 513 },
        { cmd: "pubrec", messageId: 65535 },
        { cmd: "pubrel", messageId: 1 },
        { cmd: "pubcomp", messageId: 300 },
        // MQTT 5 with a reason (and so a longer packet): the general parser's.
        ...(version === 5 ? [{ cmd: "puback", messageId: 9, reasonCode: 0x10 }] : []),
      ] as Packet[];
      const { ours, theirs } = decodedBothWays(version, acks);
      expect(ours).toEqual(theirs);
      expect(ours[0]).toEqual({
        cmd: "puback",
        messageId: 513,
        reasonCode: version === 5 ? 0 : undefined,
      });
    }
  });

  test("DISCONNECT and PINGREQ decode to what mqtt-packet gives, for 3.1.1 and MQTT 5", () => {
    for (const version of [4, 5] as const) {
      const sent = [
        { cmd: "pingreq" },
        { cmd: "disconnect" },
        // MQTT 5 with a reason (a longer packet): the general parser's.
        ...(version === 5 ? [{ cmd: "disconnect", reasonCode: 0x04 }] : []),
      ] as Packet[];
      const { ours, theirs } = decodedBothWays(version, sent);
      expect(ours).toEqual(theirs);
    }
  });

  test("a PUBLISH topic that is not UTF-8, or a QoS 1 packet id of 0, is malformed [MQTT-1.5.3-1] [MQTT-2.3.1-1]", () => {
    for (const bytes of [[0x30, 5, 0, 2, 0xc3, 0x28, 0x41], [0x32, 5, 0, 1, 0x61, 0, 0]]) {
      const { d, errors } = decoder();
      d.push(connectBytes);
      d.push(Uint8Array.from(bytes));
      expect(errors[0]?.message).toMatch(/UTF-8|identifier 0/);
    }
  });

  test("the fast PUBLISH encoder matches mqtt-packet byte for byte", () => {
    const te = new TextEncoder();
    for (const size of [0, 10, 200, 20_000]) {
      const payload = new Uint8Array(size).fill(7);
      const ours = encodePublish(te.encode("a/b"), payload, 0, false);
      const theirs = mqttPacket.generate({
        cmd: "publish",
        topic: "a/b",
        payload: Buffer.from(payload),
        qos: 0,
        dup: false,
        retain: false,
      });
      expect(Buffer.from(ours).equals(theirs)).toBe(true);
    }
  });

  test("the first SUBACK leaves no table behind: an instance's heap keeps no 65,536 number buffers", () => {
    // A process of its own: the test runner's MQTT.js shares the encoder module and its table.
    const script = `
      import { heapStats } from "bun:jsc";
      import { encodePacket } from ${
      JSON.stringify(`${import.meta.dir}/../src/mqtt/packet_encoder.ts`)
    };
      Bun.gc(true);
      const before = heapStats().objectTypeCounts.Uint8Array ?? 0;
      encodePacket({ cmd: "suback", messageId: 1, granted: [1] }, 4);
      Bun.gc(true);
      console.log((heapStats().objectTypeCounts.Uint8Array ?? 0) - before);`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
    expect(out.stderr.toString()).toBe("");
    expect(Number(out.stdout.toString())).toBeLessThan(100);
  });
});
