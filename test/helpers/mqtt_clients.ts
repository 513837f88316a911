import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from "mqtt";
import { testCerts } from "./certs.ts";
import { waitFor } from "./wait.ts";

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  /** MQTT 5 properties, as MQTT.js decodes them. */
  properties?: Record<string, unknown>;
}

export interface TestClient extends AsyncDisposable {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  readonly received: Received[];
  /** Waits until at least `n` messages arrived; returns them all. */
  waitMessages(n: number, timeoutMs?: number): Promise<Received[]>;
}

/** An MQTT.js client that records what it receives; no automatic reconnects. */
export async function mqttjs(url: string, options: IClientOptions = {}): Promise<TestClient> {
  const secure = url.startsWith("mqtts:") || url.startsWith("wss:");
  const client = mqtt.connect(url, {
    clientId: `js-${crypto.randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    // TLS against the test CA, verified as a real client would.
    ...(secure ? { ca: testCerts().ca } : {}),
    ...options,
  });
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
    client.once("close", () => reject(new Error("closed before CONNACK")));
  });
  const received: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    received.push({
      topic,
      payload: payload.toString(),
      qos: packet.qos,
      retain: packet.retain,
      ...(packet.properties ? { properties: packet.properties as Record<string, unknown> } : {}),
    });
  });
  return {
    client,
    connack,
    received,
    waitMessages: (n, timeoutMs = 5000) =>
      waitFor(() => (received.length >= n ? received : undefined), {
        timeoutMs,
        what: () => `${n} messages (${received.length} arrived)`,
      }),
    [Symbol.asyncDispose]: async () => {
      await client.endAsync(true).catch(() => {});
    },
  };
}
