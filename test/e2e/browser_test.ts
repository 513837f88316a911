import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { Server } from "bun";
import { type TestBroker, useInstances } from "../helpers/broker.ts";
import { mqttjs } from "../helpers/mqtt_clients.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dir, "../../test-artifacts");

let broker: TestBroker;
useInstances(1, {}, (_n, [first]) => {
  broker = first as TestBroker;
});

let browser: Browser;
let pages: Server<undefined>;
beforeAll(async () => {
  if (!Bun.which(CHROMIUM)) {
    throw new Error("chromium is missing: npm test installs it (apt-get install chromium)");
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // The page a browser app would be: MQTT.js's browser build, connecting over WebSocket.
  const mqttJs = Bun.file(join(import.meta.dir, "../../node_modules/mqtt/dist/mqtt.min.js"));
  pages = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      new URL(req.url).pathname === "/mqtt.min.js"
        ? new Response(mqttJs, { headers: { "content-type": "text/javascript" } })
        : new Response(PAGE, { headers: { "content-type": "text/html" } }),
  });
});
afterAll(async () => {
  await browser?.close();
  pages?.stop(true);
});

const PAGE = `<!doctype html><html><body><ul id="got"></ul>
<script src="/mqtt.min.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const client = mqtt.connect(params.get("ws"), { clientId: "browser-" + Math.random().toString(16).slice(2) });
  client.on("connect", () => client.subscribe(params.get("topic"), { qos: 1 }, () => (window.subscribed = true)));
  client.on("message", (topic, payload) => {
    const li = document.createElement("li");
    li.textContent = topic + " " + payload.toString();
    document.getElementById("got").append(li);
  });
</script></body></html>`;

describe("in a real browser (headless Chromium)", () => {
  test("a page with MQTT.js over WebSocket receives what a TCP client publishes", async () => {
    const page = await browser.newPage();
    const topic = `browser/${crypto.randomUUID().slice(0, 6)}`;
    const ws = `ws://127.0.0.1:${broker.wsPort}/mqtt`;
    await page.goto(
      `http://127.0.0.1:${pages.port}/?ws=${encodeURIComponent(ws)}&topic=${
        encodeURIComponent(topic)
      }`,
    );
    await page.waitForFunction("window.subscribed === true", undefined, { timeout: 10_000 });
    await using tcp = await mqttjs(broker.url);
    await tcp.client.publishAsync(topic, "hello browser", { qos: 1 });
    await page.waitForSelector("#got li", { timeout: 10_000 });
    expect(await page.textContent("#got li")).toBe(`${topic} hello browser`);
    await page.close();
  });

  test("the status page shows connections and traffic (screenshot in test-artifacts/)", async () => {
    await using c = await mqttjs(broker.url, { clientId: "status-page-<b>client</b>" });
    await c.client.subscribeAsync("status/#");
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.goto(`http://127.0.0.1:${broker.monitorPort}/`);
    await page.waitForFunction(
      'document.getElementById("connections").textContent !== "–"',
      undefined,
      {
        timeout: 10_000,
      },
    );
    expect(Number(await page.textContent("#connections"))).toBeGreaterThanOrEqual(1);
    expect(await page.textContent("#health")).toContain("healthy");
    // A client id is shown as text, never as markup.
    expect(await page.textContent("#clients")).toContain("status-page-<b>client</b>");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "status_page.png"), fullPage: true });
    await page.close();
  });
});
