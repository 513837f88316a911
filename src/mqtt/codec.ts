import * as mqttPacket from "mqtt-packet";
import type { IConnectPacket, Packet } from "mqtt-packet";
import { ProtocolError } from "../errors.ts";
import { type ConnectProperties, readConnectFrame } from "./connect_frame.ts";
import { decodePublish } from "./publish_decoder.ts";
import { decodeEmptyPacket, decodeShortAck } from "./ack_decoder.ts";
import { Reason } from "./reason_codes.ts";
import {
  decodeProperties,
  type Properties,
  type PropertyContext,
  type PropertyError,
} from "./v5_properties.ts";

/** Receives what a PacketDecoder makes of the byte stream; no I/O here. */
export interface DecoderSink {
  packet(packet: Packet, bytes: number): void;
  error(err: ProtocolError): void;
}

const SUPPORTED_LEVELS = new Set([3, 4, 5]);

/**
 * mqtt-packet parsers, one per protocol generation, shared by every connection: the decoder
 * hands them whole frames only, so they hold nothing between calls, and a connection does not
 * pay for a parser of its own (an event emitter and a buffer list each). A parser that failed
 * may hold part of a frame and is replaced.
 */
class SharedParsers {
  #parsers = new Map<number, ReturnType<typeof mqttPacket.parser>>();
  #packet: Packet | null = null;
  #error: Error | null = null;

  parse(frame: Buffer, mqtt5: boolean): Packet | Error {
    const version = mqtt5 ? 5 : 4;
    let parser = this.#parsers.get(version);
    if (!parser) {
      parser = mqttPacket.parser({ protocolVersion: version });
      parser.on("packet", (p: Packet) => (this.#packet = p));
      parser.on("error", (e: Error) => (this.#error = e));
      this.#parsers.set(version, parser);
    }
    this.#packet = null;
    this.#error = null;
    parser.parse(frame);
    const out = this.#error ?? this.#packet ?? new Error("incomplete packet");
    if (!this.#packet) this.#parsers.delete(version);
    return out;
  }
}

const parsers = new SharedParsers();

/**
 * Splits a byte stream into MQTT packets and parses each. Framing first lets an oversized
 * packet be refused from its fixed header, before its body is buffered; PUBLISH and the bare
 * acknowledgements are decoded by jetmq, every other packet by mqtt-packet. (Encoding:
 * packet_encoder.ts.) One decoder per connection: it learns the protocol
 * version from CONNECT.
 */
export class PacketDecoder {
  #rest: Buffer | null = null;
  #failed = false;
  #mqtt5 = false;

  constructor(readonly maxPacketSize: number, readonly sink: DecoderSink) {}

  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#rest) {
      buf = Buffer.concat([this.#rest, buf]);
      this.#rest = null;
    }
    let at = 0;
    while (at < buf.length && !this.#failed) {
      const frame = this.#frameLength(buf, at);
      if (frame === 0) break;
      if (frame < 0) return;
      if (at + frame > buf.length) break;
      if ((buf[at] as number) >> 4 === 3) this.#parsePublish(buf, at, at + frame);
      else this.#parseFrame(buf.subarray(at, at + frame));
      at += frame;
    }
    // Copy the tail: it must not pin the socket's receive buffer.
    if (at < buf.length && !this.#failed) this.#rest = Buffer.from(buf.subarray(at));
  }

  /** Total length of the packet starting at `at`; 0 when the header is incomplete, -1 on error. */
  #frameLength(buf: Buffer, at: number): number {
    const badHeader = checkFirstByte(buf[at] ?? 0, this.#mqtt5);
    if (badHeader) {
      this.#fail(`Malformed packet: ${badHeader}`, Reason.malformedPacket);
      return -1;
    }
    let remaining = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (at + i >= buf.length) return 0;
      const byte = buf[at + i] ?? 0;
      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) {
        const total = 1 + i + remaining;
        if (total > this.maxPacketSize) {
          this.#fail(
            `Packet of ${total} bytes exceeds max_packet_size ${this.maxPacketSize}`,
            Reason.packetTooLarge,
          );
          return -1;
        }
        return total;
      }
    }
    this.#fail(
      "Malformed packet: remaining length takes more than 4 bytes",
      Reason.malformedPacket,
    );
    return -1;
  }

  /** PUBLISH, the hottest packet, decoded in place (no view of its frame made). */
  #parsePublish(buf: Buffer, start: number, end: number): void {
    const p = decodePublish(buf, start, end, this.#mqtt5);
    if (typeof p === "string") this.#fail(`Malformed packet: ${p}`, Reason.malformedPacket);
    else this.sink.packet(p, end - start);
  }

  #parseFrame(frame: Buffer): void {
    const ack = decodeShortAck(frame, this.#mqtt5) ?? decodeEmptyPacket(frame, this.#mqtt5);
    if (ack) return this.sink.packet(ack, frame.length);
    let v5: ConnectProperties | Properties | null = null;
    if (frame[0] === 0x10) {
      const unsupported = unsupportedConnect(frame);
      if (unsupported) {
        this.sink.packet(unsupported, frame.length);
        return;
      }
      const read = readConnectFrame(frame);
      if (read && "violation" in read) return this.#fail(read.violation);
      // MQTT 5 packets carry properties: the decoders must know.
      this.#mqtt5 = connectHeader(frame)?.level === 5;
      v5 = read;
    } else if (this.#mqtt5) {
      const read = packetProperties(frame);
      if (read && "reason" in read) return this.#fail(read.message, read.reason);
      v5 = read;
    }
    const p = parsers.parse(frame, this.#mqtt5);
    if (p instanceof Error) {
      return this.#fail(`Malformed packet: ${p.message}`, Reason.malformedPacket);
    }
    // Properties as decoded and checked here, in place of mqtt-packet's (see v5_properties.ts).
    if (v5 && "props" in v5) {
      Object.assign(p, { props: v5.props });
      if (p.cmd === "connect" && p.will && v5.willProps) {
        Object.assign(p.will, { props: v5.willProps });
      }
    } else if (v5) Object.assign(p, { props: v5 });
    this.sink.packet(p, frame.length);
  }

  #fail(message: string, code: number = Reason.protocolError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#rest = null;
    this.sink.error(new ProtocolError(message, code));
  }
}

const PACKET_NAMES = [
  "reserved type 0",
  "CONNECT",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "PINGREQ",
  "PINGRESP",
  "DISCONNECT",
  "AUTH",
];

/**
 * Checks the fixed header's first byte as soon as it arrives, so that a peer speaking another
 * protocol (an HTTP request, say) is refused at once instead of after its "body" [MQTT-2.2.2-2].
 */
function checkFirstByte(byte: number, mqtt5: boolean): string | null {
  const type = byte >> 4;
  const flags = byte & 0x0f;
  // MQTT 5 uses type 15 for AUTH.
  if (type === 0 || (type === 15 && !mqtt5)) return `packet type ${type} is reserved`;
  if (type === 3) return (flags & 0x06) === 0x06 ? "PUBLISH with QoS 3 [MQTT-3.3.1-4]" : null;
  const expected = type === 6 || type === 8 || type === 10 ? 0x02 : 0x00;
  return flags === expected
    ? null
    : `header flags 0x${flags.toString(16)} of ${PACKET_NAMES[type]} must be 0x${expected}`;
}

/** Protocol name and level of a CONNECT frame; null when the frame is too short for them. */
function connectHeader(frame: Buffer): { name: string; level: number } | null {
  let at = 1;
  while (at < frame.length && ((frame[at] ?? 0) & 0x80) !== 0) at++;
  at++;
  if (at + 2 > frame.length) return null;
  const levelAt = at + 2 + frame.readUInt16BE(at);
  if (levelAt >= frame.length) return null;
  return { name: frame.toString("utf8", at + 2, levelAt), level: frame[levelAt] ?? 0 };
}

/**
 * mqtt-packet rejects unknown protocol levels outright, but the server must answer them with
 * CONNACK 0x01 [MQTT-3.1.2-2]: surface such a CONNECT with just its name and level.
 */
function unsupportedConnect(frame: Buffer): IConnectPacket | null {
  const header = connectHeader(frame);
  if (!header) return null;
  const { name, level } = header;
  if ((name === "MQTT" || name === "MQIsdp") && SUPPORTED_LEVELS.has(level)) return null;
  return {
    cmd: "connect",
    clientId: "",
    protocolId: name as IConnectPacket["protocolId"],
    protocolVersion: level as IConnectPacket["protocolVersion"],
    clean: true,
    keepalive: 0,
  };
}

/** Where each MQTT 5 packet type (after CONNECT and PUBLISH) keeps its properties. */
const PROPERTY_PLACES: Partial<Record<number, { context: PropertyContext; after: number }>> = {
  4: { context: "ack", after: 3 }, // PUBACK: packet id, reason code
  5: { context: "ack", after: 3 },
  6: { context: "ack", after: 3 },
  7: { context: "ack", after: 3 },
  8: { context: "subscribe", after: 2 }, // packet id
  10: { context: "unsubscribe", after: 2 },
  14: { context: "disconnect", after: 1 }, // reason code
  15: { context: "auth", after: 1 },
};

/**
 * An MQTT 5 packet's properties, checked by the rules of 2.2.2 (mqtt-packet's parser does not
 * check them); null when the packet has none (an acknowledgement or DISCONNECT may leave them
 * out), or why the packet is refused.
 */
function packetProperties(frame: Buffer): Properties | null | PropertyError {
  const place = PROPERTY_PLACES[(frame[0] ?? 0) >> 4];
  if (!place) return null;
  let header = 2;
  while (((frame[header - 1] ?? 0) & 0x80) !== 0) header++;
  const at = header + place.after;
  if (at >= frame.length) return null;
  const read = decodeProperties(frame, at, place.context);
  if (!("reason" in read)) return read.properties;
  const kind = read.reason === Reason.malformedPacket ? "Malformed packet" : "Protocol error";
  return { reason: read.reason, message: `${kind}: ${read.message}` };
}
