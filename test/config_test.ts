import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envName, flagName, helpText, loadConfig, OPTIONS } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";

const run = (argv: string[] = [], env: Record<string, string> = {}) => {
  const r = loadConfig({ argv, env });
  if (r.kind !== "run") throw new Error("expected a config");
  return r.config;
};

describe("config", () => {
  test("defaults match the documented ones", () => {
    const c = run();
    expect(c.host).toBe("0.0.0.0");
    expect(c.port).toBe(1883);
    expect(c.natsUrl).toBeNull();
    expect(c.dataDir).toBe("./data");
    expect(c.monitorPort).toBe(8222);
    expect(c.maxPacketSize).toBe(1024 * 1024);
    expect(c.logLevel).toBe("info");
    expect(c.connectTimeoutMs).toBe(10_000);
    expect(c.streamReplicas).toBe("auto");
    expect(Object.isFrozen(c)).toBe(true);
  });

  test("environment variables set options and flags win over them", () => {
    const env = {
      JETMQ_PORT: "1900",
      JETMQ_NATS_URL: "nats://127.0.0.1:4333",
      JETMQ_LOG_LEVEL: "warn",
    };
    expect(run([], env).port).toBe(1900);
    expect(run([], env).natsUrl).toBe("nats://127.0.0.1:4333");
    expect(run(["--port", "1901"], env).port).toBe(1901);
    expect(run(["--port=1902"], env).port).toBe(1902);
    expect(run(["--max-packet-size", "512KiB"]).maxPacketSize).toBe(512 * 1024);
    expect(run(["--connect-timeout", "500ms"]).connectTimeoutMs).toBe(500);
  });

  test("a JSON config file is read and the environment wins over it", () => {
    const dir = mkdtempSync(join(tmpdir(), "jetmq-config-"));
    const file = join(dir, "jetmq.json");
    writeFileSync(file, JSON.stringify({ port: 2883, log_level: "debug", max_packet_size: 4096 }));
    const c = run(["--config", file]);
    expect(c.port).toBe(2883);
    expect(c.logLevel).toBe("debug");
    expect(c.maxPacketSize).toBe(4096);
    expect(run([], { JETMQ_CONFIG: file, JETMQ_PORT: "2884" }).port).toBe(2884);
    rmSync(dir, { recursive: true, force: true });
  });

  const invalid: ReadonlyArray<readonly [string[], Record<string, string>, string]> = [
    [["--port", "70000"], {}, 'option "port" (JETMQ_PORT)'],
    [[], { JETMQ_PORT: "abc" }, 'option "port"'],
    [[], { JETMQ_LOG_LEVEL: "loud" }, 'option "log_level"'],
    [[], { JETMQ_MAX_PACKET_SIZE: "-1" }, 'option "max_packet_size"'],
    [[], { JETMQ_NATS_URL: "http://x" }, 'option "nats_url"'],
    [["--monitor-port", "x"], {}, 'option "monitor_port"'],
    [["--bogus", "1"], {}, 'Unknown option "--bogus"'],
    [["--port"], {}, 'Option "--port" needs a value'],
  ];
  for (const [argv, env, message] of invalid) {
    test(`invalid ${JSON.stringify(argv)} ${JSON.stringify(env)} stops start-up naming ${message}`, () => {
      expect(() => loadConfig({ argv, env })).toThrow(ConfigError);
      expect(() => loadConfig({ argv, env })).toThrow(message);
    });
  }

  test("--help lists every option with its variable and default", () => {
    expect(loadConfig({ argv: ["--help"] }).kind).toBe("help");
    const text = helpText();
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.key.replaceAll("_", "-")}`);
      expect(text).toContain(`JETMQ_${o.key.toUpperCase()}`);
    }
  });
});

describe("docs/configuration.md", () => {
  test("the configuration table lists every option with its variable and default", async () => {
    const readme = await Bun.file(new URL("../docs/configuration.md", import.meta.url)).text();
    for (const opt of OPTIONS) {
      const row = readme.split("\n").find((l) =>
        l.split("|")[1]?.trim() === `\`${flagName(opt.key)}\``
      );
      expect(row).toContain(`\`${envName(opt.key)}\``);
      if (opt.fallback) expect(row).toContain(`\`${opt.fallback}\``);
    }
  });
});
