import { afterAll, beforeAll, expect, test } from "bun:test";
import { headers, type Msg } from "@nats-io/transport-node";
import { headerText, headerValue } from "../src/nats/raw_headers.ts";
import { startNats, type TestNats } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/wait.ts";

let nats: TestNats;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

const NAMES = [
  "Nmqtt-Pub",
  "Jetmq-Stored",
  "Nmqtt-Pub-X",
  "nmqtt-pub",
  "Mqtt-Content-Type",
  "Absent",
];

test("header values read from a received message's raw block are the library's, name by name", async () => {
  const nc = await nats.client();
  const got: Msg[] = [];
  nc.subscribe("raw.h", { callback: (_e, m) => void got.push(m) });
  const sets: Array<Array<[string, string]>> = [
    [["Nmqtt-Pub", "1"], ["Jetmq-Stored", "1"]],
    // A longer name that starts with the one looked for, a name in another case, a repeated one,
    // a UTF-8 value, spaces around a value.
    [["Nmqtt-Pub-X", "9"], ["nmqtt-pub", "2"], ["Nmqtt-Pub", " 0 "], ["Nmqtt-Pub", "1"]],
    [["Mqtt-Content-Type", "text/plain; ünï"], ["Nmqtt-Pub", "2"]],
    [["Other", "x"]],
  ];
  for (const pairs of sets) {
    const h = headers();
    for (const [k, v] of pairs) h.append(k, v);
    nc.publish("raw.h", "payload", { headers: h });
  }
  nc.publish("raw.h", "no headers");
  await waitFor(() => got.length === sets.length + 1);
  for (const m of got.slice(0, sets.length)) {
    const text = headerText(m);
    expect(typeof text).toBe("string");
    for (const name of NAMES) {
      const expected = m.headers?.get(name) || undefined;
      const value = headerValue(text as string, name);
      // Compared as the library gives ASCII values; the UTF-8 one only for its presence.
      if (name === "Mqtt-Content-Type") expect(value !== undefined).toBe(expected !== undefined);
      else expect([name, value]).toEqual([name, expected]);
    }
  }
  const plain = got[sets.length] as Msg;
  expect(headerText(plain)).toBeNull();
  expect(plain.string()).toBe("no headers");
  // The payload is what follows the block, untouched by reading it.
  expect(got[0]?.string()).toBe("payload");
});
