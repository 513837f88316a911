import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cycles, importGraph, type Rule, violations } from "./helpers/import_graph.ts";

// The intended arrows of jetmq (docs/architecture.md): each layer imports only below itself.

const ROOT = join(import.meta.dir, "..");

const RULES: Rule[] = [
  {
    from: "src/mqtt/",
    only: ["src/mqtt/", "src/errors.ts"],
    why: "src/mqtt is pure MQTT: no I/O, nothing above it",
  },
  {
    from: "src/nats/",
    only: ["src/nats/", "src/mqtt/", "src/errors.ts", "src/log.ts"],
    why: "src/nats talks to NATS and imports nothing above it",
  },
  {
    from: "src/auth/",
    only: ["src/auth/", "src/mqtt/", "src/errors.ts", "src/config.ts", "src/config_options.ts"],
    why: "src/auth decides who gets in from the users file alone",
  },
  {
    from: "handlers/",
    forbid: ["src/front/", "src/delivery/", "src/nats/", "src/runtime/", "src/monitor/"],
    why: "handlers see the world through their ports (handlers/ports.ts), not its classes",
  },
  {
    from: "handlers/",
    forbid: ["src/instance/", "src/broker.ts", "src/main.ts"],
    why: "handlers are called by the instance, never the other way round",
  },
  {
    from: "src/delivery/",
    forbid: ["handlers/", "src/front/", "src/runtime/", "src/monitor/"],
    why: "delivery is fed by the front, not the reverse",
  },
  {
    from: "src/",
    except: ["src/runtime/bun/"],
    forbid: ["bun", "bun:ffi", "bun:sqlite"],
    why: 'only the Bun adapter (src/runtime/bun/) imports "bun"',
  },
  {
    from: "src/",
    except: ["src/runtime/"],
    forbid: ["src/runtime/bun/", "src/runtime/deno/"],
    why: "runtime adapters are chosen in src/runtime/current.ts only",
  },
  {
    from: "handlers/",
    forbid: ["bun", "src/runtime/bun/"],
    why: "handlers run on any runtime",
  },
];

const graph = importGraph(ROOT, ["src", "handlers"]);

describe("architecture", () => {
  test("every import follows the intended arrows", () => {
    expect(violations(graph, RULES)).toEqual([]);
  });

  test("the import graph of src/ and handlers/ has no cycle", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  const adapters = [["Bun", "src/runtime/bun/"], ["Deno", "src/runtime/deno/"]] as const;
  for (const [global, adapter] of adapters) {
    test(`nothing outside ${adapter} uses the ${global} global`, () => {
      const use = new RegExp(`(^|[^.\\w])${global}\\.\\w`);
      const users = [...graph.keys()].filter((file) =>
        !file.startsWith(adapter) &&
        use.test(readFileSync(join(ROOT, file), "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))
      );
      expect(users).toEqual([]);
    });
  }

  test("the checks fail, naming the import, when an arrow or a cycle is added", () => {
    const bad = new Map([
      ["handlers/publish.ts", ["src/nats/bus.ts", "mqtt-packet"]],
      ["src/nats/bus.ts", ["src/delivery/fanout.ts"]],
      ["src/delivery/fanout.ts", ["src/nats/bus.ts"]],
      ["src/mqtt/codec.ts", ["bun"]],
    ]);
    expect(violations(bad, RULES)).toEqual([
      "handlers/publish.ts → src/nats/bus.ts: " +
      "handlers see the world through their ports (handlers/ports.ts), not its classes",
      "src/nats/bus.ts → src/delivery/fanout.ts: " +
      "src/nats talks to NATS and imports nothing above it",
      'src/mqtt/codec.ts → bun: only the Bun adapter (src/runtime/bun/) imports "bun"',
    ]);
    expect(cycles(bad)).toEqual([["src/nats/bus.ts", "src/delivery/fanout.ts", "src/nats/bus.ts"]]);
  });
});
