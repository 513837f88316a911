import { describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Config, envName, loadConfig, OPTIONS } from "../src/config.ts";
import { AddressList } from "../src/net/cidr.ts";
import { run } from "./helpers/process.ts";

// The deployment files under infra/, checked as far as this machine allows: no Docker daemon,
// no Fly.io account, no systemd as PID 1 (infra/README.md, "What was not run here"). Each check
// runs the real tool where there is one (haproxy -c, nats-server -t, systemd-analyze verify) and
// jetmq's own configuration loader on every set of JETMQ_* variables.

const ROOT = join(import.meta.dir, "..");
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const TOOL_TIMEOUT_MS = 20_000;

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value ?? {}) as Table;
const tables = (value: unknown): Table[] =>
  Array.isArray(value) ? value as Table[] : value ? [value as Table] : [];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "jetmq-infra-"));
}

/**
 * The variables an env file sets, those it shows commented out (`#NAME=value`), and every
 * JETMQ_ name it mentions either way.
 */
function envFile(
  text: string,
): { set: Record<string, string>; commented: Record<string, string>; mentioned: string[] } {
  const set: Record<string, string> = {};
  const commented: Record<string, string> = {};
  const mentioned: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^(#?)([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[2]) (m[1] ? commented : set)[m[2]] = (m[3] ?? "").replace(/^"(.*)"$/, "$1");
    const name = /^#?\s*(JETMQ_[A-Z0-9_]+)=/.exec(line)?.[1];
    if (name) mentioned.push(name);
  }
  return { set, commented, mentioned };
}

const KNOWN_ENV = new Set([...OPTIONS.map((o) => envName(o.key)), "JETMQ_CONFIG"]);
const PATH_ENV = new Set(OPTIONS.filter((o) => o.kind === "path").map((o) => envName(o.key)));

/**
 * jetmq's configuration from these variables, as jetmq itself would load it. Files named by
 * path options exist only on the target machines: an existing file stands in for each.
 */
function jetmqConfig(env: Record<string, string>): Config {
  const unknown = Object.keys(env).filter((k) => k.startsWith("JETMQ_") && !KNOWN_ENV.has(k));
  expect(unknown).toEqual([]);
  const local = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, PATH_ENV.has(k) && v ? join(ROOT, "package.json") : v]),
  );
  const request = loadConfig({ env: local });
  if (request.kind !== "run") throw new Error("expected a configuration");
  return request.config;
}

/** Host names (or addresses) of a comma-separated list of URLs. */
const hostsOf = (urls: string): string[] =>
  urls.split(",").map((u) => new URL(u.trim()).hostname.replace(/^\[|\]$/g, ""));

/** Whether every entry of an address list (addresses, CIDR networks) lies inside `subnet`. */
function inside(list: string, subnet: string): boolean {
  const net = AddressList.parse(subnet);
  if (typeof net === "string") return false;
  const subnetBits = Number(subnet.split("/")[1]);
  return list.split(",").map((e) => e.trim()).filter(Boolean).every((entry) => {
    const [address = "", bits] = entry.split("/");
    return net.contains(address) && (bits === undefined || Number(bits) >= subnetBits);
  });
}

/** Settings of a systemd unit: key → every value it is given. */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1]) settings.set(m[1], [...(settings.get(m[1]) ?? []), m[2] ?? ""]);
  }
  return settings;
}

const seconds = (value: string | undefined): number => {
  const m = /^(\d+)(s|min)?$/.exec(value ?? "");
  return m ? Number(m[1]) * (m[2] === "min" ? 60 : 1) : NaN;
};

/** Instruction lines of a Dockerfile, continuation lines joined, comments dropped. */
function dockerfile(text: string): { op: string; args: string }[] {
  const joined = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").replace(
    /\\\n/g,
    " ",
  );
  return joined.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [op = "", ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(" ") };
  });
}

const EPHEMERAL = (port: number) => port >= 32768 && port <= 60999;

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("infra: HAProxy", () => {
  test("haproxy -c accepts the production configuration", async () => {
    const r = await run(
      ["haproxy", "-c", "-f", join(ROOT, "infra/haproxy/haproxy.cfg")],
      TOOL_TIMEOUT_MS,
    );
    expect(r.stdout + r.stderr).not.toMatch(/\[(WARNING|ALERT)\]/);
    expect(r.code).toBe(0);
  });

  test("haproxy -c accepts the Compose configuration where its servers do not resolve", async () => {
    const r = await run(
      ["haproxy", "-c", "-f", join(ROOT, "infra/docker/haproxy.cfg")],
      TOOL_TIMEOUT_MS,
    );
    expect(r.code).toBe(0);
    // The only warnings allowed are about the Compose service names, unknown outside Compose.
    const warnings = (r.stdout + r.stderr).split("\n").filter((l) => /\[(WARNING|ALERT)\]/.test(l));
    expect(warnings.filter((l) => !/could not resolve address 'jetmq-\d'/.test(l))).toEqual([]);
  });

  test("every backend checks /readyz on the monitoring port; TCP ones send PROXY v2", () => {
    for (const path of ["infra/haproxy/haproxy.cfg", "infra/docker/haproxy.cfg"]) {
      // Sections start at unindented lines; keep the backends.
      const backends = read(path).split(/^(?=\S)/m).filter((s) => s.startsWith("backend "));
      expect(backends.length).toBe(3);
      for (const backend of backends) {
        expect(backend).toContain("option httpchk GET /readyz");
        const servers = backend.split("\n").filter((l) => /^\s+server /.test(l));
        expect(servers.length).toBe(3);
        for (const server of servers) {
          expect(server).toContain("check port 8222");
          if (/mode tcp/.test(backend)) expect(server).toContain("send-proxy-v2");
        }
      }
    }
  });
});

describe("infra: NATS", () => {
  const natsTest = (env: Record<string, string>) =>
    run(["nats-server", "-t", "-c", join(ROOT, "infra/nats/nats.conf")], {
      timeoutMs: TOOL_TIMEOUT_MS,
      env: { ...process.env, ...env },
    });

  test("nats-server -t accepts nats.conf with the local cluster's variables", async () => {
    const r = await natsTest({
      NATS_NAME: "nats-1",
      NATS_HOST: "127.0.0.1",
      NATS_PORT: "21201",
      NATS_CLUSTER_PORT: "21211",
      NATS_HTTP_PORT: "21221",
      NATS_ROUTE_1: "nats-route://127.0.0.1:21211",
      NATS_ROUTE_2: "nats-route://127.0.0.1:21212",
      NATS_ROUTE_3: "nats-route://127.0.0.1:21213",
      NATS_STORE_DIR: join(ROOT, "data/cluster/nats-1"),
      NATS_MAX_MEM: "256M",
      NATS_MAX_FILE: "2G",
    });
    expect(r.stderr).toContain("is valid");
    expect(r.code).toBe(0);
  });

  test("nats.env.example, with the unit's defaults, gives a valid nats.conf", async () => {
    const { set } = envFile(read("infra/systemd/nats.env.example"));
    for (const i of [1, 2, 3]) expect(set[`NATS_ROUTE_${i}`]).toMatch(/^nats-route:\/\//);
    const r = await natsTest({
      NATS_NAME: "nats-1",
      NATS_STORE_DIR: "/var/lib/nats/nats-1",
      ...set,
    });
    expect(r.code).toBe(0);
  });

  test("the Fly.io entrypoint fills nats.conf's variables from Fly's and starts nats-server", async () => {
    const fly = Bun.TOML.parse(read("infra/fly/nats/fly.toml")) as Table;
    const mount = tables(fly.mounts)[0] ?? {};
    const realNats = Bun.which("nats-server");
    expect(realNats).not.toBeNull();
    const dir = tempDir();
    try {
      const addresses = (n: number) =>
        Array.from(
          { length: n },
          (_, i) => `Name:\tjetmq-nats.internal\nAddress: fdaa:0:1::${i + 2}`,
        )
          .join("\n");
      const stubs = (listed: number) => {
        // busybox nslookup's output: the resolver first, then one Name/Address pair per record.
        writeFileSync(
          join(dir, "nslookup"),
          `#!/bin/sh\ncat <<'EOF'\nServer:\t\tfdaa::3\nAddress:\tfdaa::3:53\n\n` +
            `Non-authoritative answer:\n${addresses(listed)}\nEOF\n`,
        );
        // Records what the entrypoint hands to nats-server, then has the real one check it.
        writeFileSync(
          join(dir, "nats-server"),
          `#!/bin/sh\nenv | grep '^NATS_' | sort > "${dir}/env"\nprintf '%s\\n' "$@" > "${dir}/args"\n` +
            `exec "${realNats}" -t "$@"\n`,
        );
        chmodSync(join(dir, "nslookup"), 0o755);
        chmodSync(join(dir, "nats-server"), 0o755);
      };
      const start = (extra: Record<string, string> = {}) =>
        run(["sh", join(ROOT, "infra/fly/nats/entrypoint.sh")], {
          timeoutMs: TOOL_TIMEOUT_MS,
          env: {
            ...process.env,
            ...(table(fly.env) as Record<string, string>),
            PATH: `${dir}:${process.env.PATH}`,
            FLY_APP_NAME: String(fly.app),
            FLY_MACHINE_ID: "e784079b449483",
            FLY_REGION: String(fly.primary_region),
            FLY_PRIVATE_IP: "fdaa:0:1::2",
            NATS_CONFIG: join(ROOT, "infra/nats/nats.conf"),
            ...extra,
          },
        });

      stubs(3);
      const r = await start();
      expect(r.stderr).toContain("is valid");
      expect(r.code).toBe(0);
      const env = readFileSync(join(dir, "env"), "utf8");
      expect(env).toContain("NATS_NAME=e784079b449483\n");
      const app = String(fly.app);
      const region = String(fly.primary_region);
      expect(env).toContain(`NATS_ROUTE_1=nats-route://${app}.internal:6222\n`);
      expect(env).toContain(`NATS_ROUTE_2=nats-route://${region}.${app}.internal:6222\n`);
      expect(env).toContain("NATS_ROUTE_3=nats-route://fly-local-6pn:6222\n");
      expect(env).toContain(`NATS_STORE_DIR=${String(mount.destination)}\n`);
      expect(env).toContain("NATS_HOST=::\n");
      expect(readFileSync(join(dir, "args"), "utf8").split("\n")).toEqual([
        "-c",
        join(ROOT, "infra/nats/nats.conf"),
        "--client_advertise",
        "[fdaa:0:1::2]:4222",
        "--cluster_advertise",
        "[fdaa:0:1::2]:6222",
        "",
      ]);

      // Alone in DNS: it waits for its peers, then starts anyway.
      stubs(1);
      const alone = await start({ NATS_PEER_WAIT: "0" });
      expect(alone.stderr).toContain("DNS lists 1 of 3 Machines");
      expect(alone.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("infra: systemd", () => {
  /** systemd-analyze verify on an instance of a template unit, copied with `rewrite` applied. */
  async function verify(template: string, instance: string, rewrite: (t: string) => string) {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, basename(template)), rewrite(read(template)));
      return await run(["systemd-analyze", "verify", join(dir, instance)], TOOL_TIMEOUT_MS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("systemd-analyze verify passes on jetmq@1.service", async () => {
    // /opt/jetmq is the checkout on a VM; this checkout stands in, so that ExecStart exists.
    const r = await verify(
      "infra/systemd/jetmq@.service",
      "jetmq@1.service",
      (t) => t.replaceAll("/opt/jetmq", ROOT),
    );
    expect((r.stdout + r.stderr).trim()).toBe("");
    expect(r.code).toBe(0);
  });

  test("systemd-analyze verify passes on nats@nats-1.service", async () => {
    const nats = Bun.which("nats-server") ?? "/usr/sbin/nats-server";
    const r = await verify(
      "infra/systemd/nats@.service",
      "nats@nats-1.service",
      (t) => t.replaceAll("/usr/sbin/nats-server", nats),
    );
    expect((r.stdout + r.stderr).trim()).toBe("");
    expect(r.code).toBe(0);
  });

  test("the jetmq unit reloads, stops and restarts as jetmq expects, sandboxed", () => {
    const s = unitSettings(read("infra/systemd/jetmq@.service"));
    const one = (key: string) => s.get(key)?.at(-1);
    expect(one("EnvironmentFile")).toBe("/etc/jetmq/%i.env");
    expect(one("ExecStart")).toMatch(/\/bun src\/main\.ts$/);
    expect(one("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(one("KillSignal")).toBe("SIGTERM");
    expect(seconds(one("TimeoutStopSec"))).toBeGreaterThanOrEqual(30);
    expect(one("Restart")).toBe("always");
    expect(one("RestartPreventExitStatus")).toBe("2");
    expect(one("LimitNOFILE")).toBe("1048576");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    expect(one("CapabilityBoundingSet")).toBe("");
    expect(one("RestrictAddressFamilies")).toBe("AF_INET AF_INET6 AF_UNIX");
    expect(s.get("SystemCallFilter")).toContain("@system-service");
    expect(one("User")).toBe("jetmq");
    // Bun's JIT writes executable memory.
    expect(s.has("MemoryDenyWriteExecute")).toBe(false);
  });

  test("the NATS unit uses nats.conf and stops in lame duck mode", () => {
    const s = unitSettings(read("infra/systemd/nats@.service"));
    const one = (key: string) => s.get(key)?.at(-1);
    expect(one("ExecStart")).toMatch(/nats-server -c \/etc\/nats\/jetmq\.conf$/);
    expect(one("EnvironmentFile")).toBe("/etc/nats/%i.env");
    expect(one("KillSignal")).toBe("SIGUSR2");
    // Lame duck mode lasts 2 minutes plus a 10 s grace.
    expect(seconds(one("TimeoutStopSec"))).toBeGreaterThan(130);
    expect(one("StateDirectory")).toBe("nats/%i");
    expect(s.get("Environment")).toContain("NATS_STORE_DIR=%S/nats/%i");
  });

  test("jetmq.env.example names only real options, and jetmq accepts what it sets", () => {
    const { set, commented, mentioned } = envFile(read("infra/systemd/jetmq.env.example"));
    expect(mentioned.filter((name) => !KNOWN_ENV.has(name))).toEqual([]);
    // The commented-out lines hold valid values too, whichever of them one turns on.
    jetmqConfig({ ...set, ...commented });
    const config = jetmqConfig(set);
    // systemd's SIGKILL must not cut a drain short.
    const stop = unitSettings(read("infra/systemd/jetmq@.service")).get("TimeoutStopSec")?.at(-1);
    expect(seconds(stop) * 1000).toBeGreaterThanOrEqual(config.drainTimeoutMs + 15_000);
    expect(hostsOf(config.natsUrl ?? "")).toHaveLength(3);
    expect(config.streamReplicas).toBe(3);
    expect(config.proxyProtocol).toBe(true);
    expect(config.proxyTrusted.size).toBeGreaterThan(0);
    // The TLS, users and NATS credential settings are there, to be filled in.
    for (
      const name of ["JETMQ_TLS_CERT", "JETMQ_TLS_KEY", "JETMQ_USERS_FILE", "JETMQ_NATS_CREDS"]
    ) {
      expect(mentioned).toContain(name);
    }
  });
});

describe("infra: Docker Compose", () => {
  const composePath = "infra/docker/docker-compose.yml";
  const compose = parseYaml(read(composePath), { merge: true }) as Table;
  const services = table(compose.services) as Record<string, Table>;
  const names = Object.keys(services);
  const natsNames = names.filter((n) => String(services[n]?.image).startsWith("nats:"));
  const jetmqNames = names.filter((n) => /^jetmq-\d$/.test(n));
  const fromCompose = (path: string) => join(ROOT, dirname(composePath), path);
  const envOf = (name: string) => table(services[name]?.environment) as Record<string, string>;
  const network = table(table(compose.networks).jetmq);
  const subnet = String(tables(table(network.ipam).config)[0]?.subnet ?? "");
  const haproxy = table(services.haproxy);
  const haproxyAddress = String(table(table(haproxy.networks).jetmq).ipv4_address);

  test("three NATS nodes, three jetmq instances and HAProxy", () => {
    expect(natsNames).toEqual(["nats-1", "nats-2", "nats-3"]);
    for (const n of natsNames) expect(services[n]?.image).toBe("nats:2.10-alpine");
    expect(jetmqNames).toEqual(["jetmq-1", "jetmq-2", "jetmq-3"]);
    expect(haproxy.image).toBe("haproxy:2.6");
  });

  test("dependencies name existing services and wait for their health checks", () => {
    for (const service of Object.values(services)) {
      for (const [dep, how] of Object.entries(table(service.depends_on))) {
        expect(names).toContain(dep);
        expect(table(how).condition).toBe("service_healthy");
        // A service waited for must have a health check (its own, or the image's for jetmq).
        expect(services[dep]?.healthcheck !== undefined || jetmqNames.includes(dep)).toBe(true);
      }
      expect(service.restart).toBe("unless-stopped");
    }
    expect(read("infra/fly/Dockerfile")).toMatch(/^HEALTHCHECK /m);
  });

  test("every file it builds from or mounts exists, every named volume is declared", () => {
    const volumes = Object.keys(table(compose.volumes));
    for (const service of Object.values(services)) {
      if (service.build) {
        const build = table(service.build);
        expect(existsSync(fromCompose(String(build.context)))).toBe(true);
        expect(existsSync(join(fromCompose(String(build.context)), String(build.dockerfile))))
          .toBe(true);
      }
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(":")[0] ?? "";
        if (source.startsWith(".") || source.startsWith("/")) {
          expect(existsSync(fromCompose(source))).toBe(true);
        } else {
          expect(volumes).toContain(source);
        }
      }
    }
  });

  test("each jetmq lists all three NATS nodes and trusts exactly HAProxy's fixed address", () => {
    expect(subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(inside(haproxyAddress, subnet)).toBe(true);
    for (const name of jetmqNames) {
      const env = envOf(name);
      const config = jetmqConfig(env);
      expect(hostsOf(config.natsUrl ?? "").sort()).toEqual(natsNames);
      expect(config.natsUrl?.split(",").every((u) => u.endsWith(":4222"))).toBe(true);
      expect(config.proxyProtocol).toBe(true);
      expect(config.proxyTrusted.contains(haproxyAddress)).toBe(true);
      expect(inside(env.JETMQ_PROXY_TRUSTED ?? "", subnet)).toBe(true);
      expect(config.streamReplicas).toBe(3);
      // Docker's SIGKILL must not cut a drain short.
      const grace = seconds(String(services[name]?.stop_grace_period));
      expect(grace * 1000).toBeGreaterThanOrEqual(config.drainTimeoutMs + 15_000);
    }
  });

  test("each NATS node's environment gives a valid nats.conf and routes to the three", async () => {
    const seen = new Set<string>();
    for (const name of natsNames) {
      const env = envOf(name);
      expect(seen.has(env.NATS_NAME ?? "")).toBe(false);
      seen.add(env.NATS_NAME ?? "");
      const routes = [1, 2, 3].map((i) => new URL(env[`NATS_ROUTE_${i}`] ?? "").hostname);
      expect(routes.sort()).toEqual(natsNames);
      expect((services[name]?.volumes as string[]).join(" ")).toContain(
        "../nats/nats.conf:/etc/nats/jetmq.conf",
      );
      const r = await run(["nats-server", "-t", "-c", join(ROOT, "infra/nats/nats.conf")], {
        timeoutMs: TOOL_TIMEOUT_MS,
        env: { ...process.env, ...env },
      });
      expect(r.code).toBe(0);
    }
  });

  test("HAProxy's servers are the jetmq services, on the ports jetmq listens on", () => {
    const cfg = read("infra/docker/haproxy.cfg");
    expect((haproxy.volumes as string[])[0]).toBe(
      "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro",
    );
    const servers = [...cfg.matchAll(/^\s+server \S+ ([\w.-]+):(\d+) check port (\d+)/gm)];
    expect(new Set(servers.map((m) => m[1]))).toEqual(new Set(jetmqNames));
    const env = envOf("jetmq-1");
    const ports = new Set(servers.map((m) => m[2]));
    expect(ports).toEqual(new Set([env.JETMQ_PORT, "8883", env.JETMQ_WS_PORT]));
    expect(new Set(servers.map((m) => m[3]))).toEqual(new Set([env.JETMQ_MONITOR_PORT]));
  });
});

describe("infra: Fly.io", () => {
  const fly = Bun.TOML.parse(read("infra/fly/fly.toml")) as Table;
  const natsFly = Bun.TOML.parse(read("infra/fly/nats/fly.toml")) as Table;
  const env = table(fly.env) as Record<string, string>;
  const services = tables(fly.services);
  const serviceOn = (internal: number) => services.find((s) => s.internal_port === internal);
  const portOf = (service: Table | undefined, port: number) =>
    tables(service?.ports).find((p) => p.port === port);

  test("MQTT on 1883 with PROXY v2, MQTT over TLS on 8883 terminated by Fly, WS on 443", () => {
    const mqtt = serviceOn(Number(env.JETMQ_PORT));
    expect(portOf(mqtt, 1883)?.handlers).toEqual(["proxy_proto"]);
    expect(table(portOf(mqtt, 1883)?.proxy_proto_options).version).toBe("v2");
    expect(portOf(mqtt, 8883)?.handlers).toEqual(["tls", "proxy_proto"]);
    expect(table(portOf(mqtt, 8883)?.proxy_proto_options).version).toBe("v2");
    const ws = serviceOn(Number(env.JETMQ_WS_PORT));
    expect(portOf(ws, 443)?.handlers).toEqual(["tls", "http"]);
    expect(services).toHaveLength(2);
    for (const service of services) {
      expect(table(service.concurrency).type).toBe("connections");
      expect(service.auto_stop_machines).toBe("off");
      expect(tables(service.tcp_checks)).toHaveLength(1);
    }
  });

  test("stops on SIGTERM with time to drain; checks /readyz and /livez on 8222", () => {
    expect(fly.kill_signal).toBe("SIGTERM");
    // Fly's SIGKILL must not cut a drain short; Fly allows at most 300 s.
    const drainMs = jetmqConfig(env).drainTimeoutMs;
    expect(Number(fly.kill_timeout) * 1000).toBeGreaterThanOrEqual(drainMs + 15_000);
    expect(Number(fly.kill_timeout)).toBeLessThanOrEqual(300);
    const checks = Object.values(table(fly.checks)).map(table);
    const on = (path: string) =>
      checks.find((c) =>
        c.type === "http" && c.path === path && String(c.port) === env.JETMQ_MONITOR_PORT
      );
    expect(on("/readyz")).toBeDefined();
    expect(on("/livez")).toBeDefined();
    expect(env.JETMQ_MONITOR_PORT).toBe("8222");
  });

  test("jetmq accepts its [env]: the NATS app over the private network, Fly's proxy trusted", () => {
    const config = jetmqConfig(env);
    expect(config.natsUrl).toBe(`nats://${String(natsFly.app)}.internal:4222`);
    expect(config.proxyProtocol).toBe(true);
    // Fly's proxy over the Machine's private IPv4 (seen as IPv4-mapped on a "::" listener) and
    // over the private IPv6 network.
    expect(config.host).toBe("::");
    expect(config.proxyTrusted.contains("::ffff:172.19.4.2")).toBe(true);
    expect(config.proxyTrusted.contains("fdaa:0:1:a7b:abc:21de:af5f:2")).toBe(true);
    expect(config.proxyTrusted.contains("203.0.113.7")).toBe(false);
    expect(config.streamReplicas).toBe(3);
  });

  test("the NATS app: private, a volume at /data, lame duck stops, /healthz gating", () => {
    expect(natsFly.services).toBeUndefined();
    expect(natsFly.http_service).toBeUndefined();
    expect(tables(natsFly.mounts)[0]?.destination).toBe("/data");
    expect(natsFly.kill_signal).toBe("SIGUSR2");
    expect(Number(natsFly.kill_timeout)).toBeGreaterThan(130);
    const checks = Object.values(table(natsFly.checks)).map(table);
    expect(checks.some((c) => c.path === "/healthz" && c.port === 8222)).toBe(true);
  });

  test("both apps build from a Dockerfile next to their fly.toml, with files that exist", () => {
    for (const [config, path] of [[fly, "infra/fly"], [natsFly, "infra/fly/nats"]] as const) {
      const file = join(path, String(table(config.build).dockerfile));
      expect(existsSync(join(ROOT, file))).toBe(true);
      for (const { op, args } of dockerfile(read(file))) {
        if (op !== "COPY" || args.startsWith("--from")) continue;
        const sources = args.split(/\s+/).slice(0, -1);
        for (const source of sources) expect(existsSync(join(ROOT, source))).toBe(true);
      }
    }
    const nats = dockerfile(read("infra/fly/nats/Dockerfile"));
    expect(nats[0]).toEqual({ op: "FROM", args: "nats:2.10-alpine" });
    expect(nats.find((i) => i.op === "ENTRYPOINT")?.args).toContain("fly_nats_entrypoint.sh");
    expect(nats.some((i) => i.args === "infra/nats/nats.conf /etc/nats/jetmq.conf")).toBe(true);
  });

  test("the jetmq image: official Bun at the locked version, src/main.ts, not root", () => {
    const lines = dockerfile(read("infra/fly/Dockerfile"));
    const lock = JSON.parse(read("package-lock.json")) as Table;
    const bun = table(table(lock.packages)["node_modules/bun"]).version;
    expect(lines.find((i) => i.op === "ARG")?.args).toBe(`BUN_VERSION=${bun}`);
    for (const from of lines.filter((i) => i.op === "FROM")) {
      expect(from.args).toMatch(/^oven\/bun:\$\{BUN_VERSION\}/);
    }
    expect(JSON.parse(lines.find((i) => i.op === "CMD")?.args ?? "[]")).toEqual([
      "bun",
      "src/main.ts",
    ]);
    expect(lines.find((i) => i.op === "USER")?.args).toBe("bun");
    const exposed = lines.find((i) => i.op === "EXPOSE")?.args.split(" ") ?? [];
    for (const port of ["1883", "8080", "8222"]) expect(exposed).toContain(port);
    expect(lines.find((i) => i.op === "RUN")?.args).toContain("--production");
  });

  test("the image's HEALTHCHECK passes when /livez answers and fails when it does not", async () => {
    const line = dockerfile(read("infra/fly/Dockerfile")).find((i) => i.op === "HEALTHCHECK");
    const command = JSON.parse(/CMD (\[.*\])$/.exec(line?.args ?? "")?.[1] ?? "[]") as string[];
    expect(command.slice(0, 2)).toEqual(["bun", "-e"]);
    const bun = join(ROOT, "node_modules/.bin/bun");
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname === "/livez"
          ? Response.json({ status: "ok" })
          : new Response("", { status: 404 }),
    });
    const check = (port: number) =>
      run([bun, ...command.slice(1)], {
        timeoutMs: TOOL_TIMEOUT_MS,
        env: { ...process.env, JETMQ_MONITOR_PORT: String(port) },
      });
    const port = server.port ?? 0;
    try {
      expect((await check(port)).code).toBe(0);
    } finally {
      await server.stop(true);
    }
    expect((await check(port)).code).toBe(1);
  });

  test(".dockerignore keeps local state out of the build context, not the sources", () => {
    const ignored = read(".dockerignore").split("\n").filter((l) => l && !l.startsWith("#"));
    for (const entry of [".git", "node_modules", "data", "test-artifacts", "bench/results"]) {
      expect(ignored).toContain(entry);
    }
    for (const needed of ["src", "handlers", "package.json", "package-lock.json", "infra"]) {
      expect(ignored.some((entry) => needed === entry || needed.startsWith(`${entry}/`))).toBe(
        false,
      );
    }
  });
});

describe("infra: all files", () => {
  test("no configuration uses a port in the ephemeral range 32768–60999", () => {
    const found: string[] = [];
    for (const path of filesUnder("infra")) {
      const text = read(path);
      // host:port, port = N, *_PORT=N, EXPOSE N …
      for (const m of text.matchAll(/(?:port\w*\s*[=:]?\s*"?|:)(\d{4,5})\b/gi)) {
        if (EPHEMERAL(Number(m[1]))) found.push(`${path}: ${m[0]}`);
      }
      for (const [line = ""] of text.matchAll(/^EXPOSE .*$/gm)) {
        for (const port of line.split(/\s+/).slice(1)) {
          if (EPHEMERAL(Number(port))) found.push(`${path}: ${line}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  test("every repository file infra/README.md names exists", () => {
    const text = read("infra/README.md");
    const named = new Set<string>();
    for (
      const [, path] of text.matchAll(
        /`((?:infra|src|docs|scripts|test|handlers|bench)\/[\w@./-]*\w)`/g,
      )
    ) {
      if (path) named.add(path);
    }
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (target && !/^[a-z]+:/.test(target)) named.add(join("infra", target));
    }
    if (text.includes("`.dockerignore`")) named.add(".dockerignore");
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
