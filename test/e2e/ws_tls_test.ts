import { describe, expect, test } from "bun:test";
import * as mqttPacket from "mqtt-packet";
import type { Packet } from "mqtt-packet";
import { startTestBroker, TEST_RUNTIME, type TestBroker, useInstances } from "../helpers/broker.ts";
import { testCerts } from "../helpers/certs.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";
import type { TestNats } from "../helpers/nats_server.ts";
import { run } from "../helpers/process.ts";
import { waitFor } from "../helpers/wait.ts";
import { allTransports } from "./transports.ts";

let nats: TestNats;
let broker: TestBroker;
useInstances(1, allTransports(), (n, [first]) => {
  nats = n;
  broker = first as TestBroker;
});

/** A bare WebSocket client that records the MQTT packets it receives. */
async function rawWs(port: number, protocols: string[]) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, protocols);
  ws.binaryType = "arraybuffer";
  const packets: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p: Packet) => packets.push(p));
  ws.onmessage = (e) => void parser.parse(Buffer.from(e.data as ArrayBuffer));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return { ws, packets };
}

const bytes = (p: Packet) => mqttPacket.generate(p, { protocolVersion: 4 });

describe("MQTT over WebSocket", () => {
  test("a packet may span frames and a frame may hold several packets", async () => {
    const { ws, packets } = await rawWs(broker.wsPort, ["mqtt"]);
    expect(ws.protocol).toBe("mqtt");
    const connect = bytes({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: "ws-frames",
      keepalive: 0,
    });
    ws.send(connect.subarray(0, 5));
    ws.send(connect.subarray(5));
    const ping = bytes({ cmd: "pingreq" });
    ws.send(Buffer.concat([ping, ping, ping]));
    await waitFor(() => packets.length === 4, { what: "CONNACK and three PINGRESPs" });
    expect(packets.map((p) => p.cmd)).toEqual(["connack", "pingresp", "pingresp", "pingresp"]);
    ws.close();
  });

  test("the mqttv3.1 subprotocol is accepted; no MQTT subprotocol is refused", async () => {
    const { ws } = await rawWs(broker.wsPort, ["mqttv3.1"]);
    expect(ws.protocol).toBe("mqttv3.1");
    ws.close();
    const res = await fetch(`http://127.0.0.1:${broker.wsPort}/mqtt`, {
      headers: {
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(res.status).toBe(400);
  });
});

describe("MQTT over TLS", () => {
  test("mosquitto_pub reaches an MQTT.js subscriber over TLS", async () => {
    await using sub = await mqttjs(`mqtts://127.0.0.1:${broker.tlsPort}`);
    await sub.client.subscribeAsync("tls/cli");
    const out = await run([
      "mosquitto_pub",
      ...["-h", "127.0.0.1", "-p", String(broker.tlsPort), "--cafile", testCerts().caFile],
      ...["-t", "tls/cli", "-m", "secret"],
    ]);
    expect(out.stderr).toBe("");
    expect((await sub.waitMessages(1))[0]?.payload).toBe("secret");
  });

  test.if(TEST_RUNTIME === "bun")(
    "with tls_ca, only clients with a certificate the CA signed get in; tls_only drops plain TCP",
    async () => {
      const certs = testCerts();
      await using strict = await startTestBroker(nats.url, {
        tls_cert: certs.certFile,
        tls_key: certs.keyFile,
        tls_ca: certs.caFile,
        tls_only: "true",
      });
      expect(strict.port).toBe(strict.tlsPort as number);
      const url = `mqtts://127.0.0.1:${strict.tlsPort}`;
      await using withCert = await mqttjs(url, { cert: certs.clientCert, key: certs.clientKey });
      expect(withCert.client.connected).toBe(true);
      await expect(mqttjs(url)).rejects.toBeDefined();
    },
  );

  test.if(TEST_RUNTIME === "deno")(
    "on Deno, tls_ca is refused at start-up, saying why",
    async () => {
      const certs = testCerts();
      const start = startTestBroker(nats.url, {
        tls_cert: certs.certFile,
        tls_key: certs.keyFile,
        tls_ca: certs.caFile,
      });
      await expect(start).rejects.toThrow(
        /exited 2 .*tls_ca \(client certificates\) is not supported/,
      );
    },
  );

  test("WebSocket over TLS (wss) with ws_tls", async () => {
    const certs = testCerts();
    await using secure = await startTestBroker(nats.url, {
      tls_cert: certs.certFile,
      tls_key: certs.keyFile,
      ws_tls: "true",
    });
    await using c = await mqttjs(`wss://127.0.0.1:${secure.wsPort}/mqtt`, {
      wsOptions: { ca: certs.ca },
    });
    await c.client.subscribeAsync("wss/x");
    await c.client.publishAsync("wss/x", "encrypted");
    expect((await c.waitMessages(1))[0]?.payload).toBe("encrypted");
  });
});
