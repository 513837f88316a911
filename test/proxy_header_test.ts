import { describe, expect, test } from "bun:test";
import { AddressList, hostOf } from "../src/net/cidr.ts";
import { parseProxyHeader } from "../src/net/proxy_header.ts";
import { forwardedClient } from "../src/front/forwarded.ts";
import { proxyV2 } from "./helpers/proxy_bytes.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("PROXY protocol headers", () => {
  test("v1 TCP4 and TCP6 give the client address; UNKNOWN keeps the balancer's", () => {
    const v4 = text("PROXY TCP4 203.0.113.7 10.0.0.1 51000 1883\r\nMQTT");
    expect(parseProxyHeader(v4)).toEqual({
      kind: "proxy",
      version: 1,
      source: "203.0.113.7:51000",
      length: 44,
    });
    expect(parseProxyHeader(text("PROXY TCP6 2001:db8::7 ::1 51000 1883\r\n"))).toMatchObject({
      source: "[2001:db8::7]:51000",
    });
    expect(parseProxyHeader(text("PROXY UNKNOWN\r\n"))).toEqual({
      kind: "local",
      version: 1,
      length: 15,
    });
  });

  test("v2 PROXY over IPv4 and IPv6, LOCAL for health checks, TLVs skipped", () => {
    const v4 = proxyV2({ source: "198.51.100.9", port: 40000, tlv: 5 });
    expect(parseProxyHeader(v4)).toEqual({
      kind: "proxy",
      version: 2,
      source: "198.51.100.9:40000",
      length: 16 + 12 + 5,
    });
    expect(parseProxyHeader(proxyV2({ source: "2001:db8::1", port: 7 }))).toMatchObject({
      source: "[2001:db8::1]:7",
    });
    expect(parseProxyHeader(proxyV2({ local: true }))).toEqual({
      kind: "local",
      version: 2,
      length: 16,
    });
  });

  test("a header cut anywhere asks for more bytes; then it is whole", () => {
    for (
      const whole of [text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), proxyV2({ source: "1.2.3.4" })]
    ) {
      for (let cut = 1; cut < whole.length; cut++) {
        expect(parseProxyHeader(whole.subarray(0, cut))).toBeNull();
      }
      expect(parseProxyHeader(whole)).toMatchObject({ kind: "proxy", length: whole.length });
    }
  });

  test("anything else is refused with a reason", () => {
    const bad: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.of(0x10, 0x0c), /Expected a PROXY protocol header/],
      [text("GET / HTTP/1.1\r\n"), /Expected a PROXY protocol header/],
      [text("PROXY TCP4 1.2.3.4\r\n"), /Malformed PROXY v1/],
      [text(`PROXY TCP4 ${"9".repeat(120)}`), /longer than 107/],
      [proxyV2({ source: "1.2.3.4", version: 3 }), /version 3/],
    ];
    for (const [bytes, reason] of bad) expect(parseProxyHeader(bytes)).toMatch(reason);
  });
});

describe("trusted address lists", () => {
  test("CIDR networks and single addresses, IPv4, IPv6 and IPv4-mapped IPv6", () => {
    const list = AddressList.parse("10.0.0.0/8, 192.168.1.7, fdaa::/16") as AddressList;
    expect(list.contains("10.200.3.4")).toBe(true);
    expect(list.contains("11.0.0.1")).toBe(false);
    expect(list.contains("192.168.1.7")).toBe(true);
    expect(list.contains("192.168.1.8")).toBe(false);
    expect(list.contains("fdaa:0:1::5")).toBe(true);
    expect(list.contains("fdab::5")).toBe(false);
    expect(list.contains("::ffff:10.1.2.3")).toBe(true);
    expect(list.contains("not an address")).toBe(false);
    expect(AddressList.parse("10.0.0.0/33")).toBe("10.0.0.0/33");
    expect(AddressList.parse("nonsense")).toBe("nonsense");
  });

  test("host of an address with its port", () => {
    expect(hostOf("1.2.3.4:5")).toBe("1.2.3.4");
    expect(hostOf("[::1]:5")).toBe("::1");
  });
});

describe("forwarded client addresses (WebSocket behind an HTTP proxy)", () => {
  const trusted = AddressList.parse("10.0.0.0/8") as AddressList;
  const h = (entries: Record<string, string>) => new Headers(entries);

  test("taken from a trusted proxy: Fly-Client-IP, else the last untrusted X-Forwarded-For hop", () => {
    expect(forwardedClient(h({ "fly-client-ip": "203.0.113.5" }), "10.1.1.1:80", trusted))
      .toEqual({ remoteAddress: "203.0.113.5:0", proxiedBy: "10.1.1.1:80" });
    expect(
      forwardedClient(
        h({ "x-forwarded-for": "1.1.1.1, 203.0.113.9, 10.2.2.2" }),
        "10.1.1.1:80",
        trusted,
      ),
    ).toEqual({ remoteAddress: "203.0.113.9:0", proxiedBy: "10.1.1.1:80" });
  });

  test("ignored from anyone else, and when malformed", () => {
    expect(forwardedClient(h({ "x-forwarded-for": "6.6.6.6" }), "8.8.8.8:1", trusted)).toBeNull();
    expect(forwardedClient(h({ "x-forwarded-for": "junk" }), "10.1.1.1:1", trusted)).toBeNull();
    expect(forwardedClient(h({}), "10.1.1.1:1", trusted)).toBeNull();
  });
});
