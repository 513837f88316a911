import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
  /** A client certificate the CA signed, for mutual TLS. */
  readonly clientCert: string;
  readonly clientKey: string;
}

let made: TestCerts | null = null;

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

/**
 * A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made once
 * per test process with openssl (no broker runs yet when this is called, so a synchronous spawn
 * stalls nothing).
 */
export function testCerts(): TestCerts {
  if (made) return made;
  // In the ignored test-artifacts/ folder: made again by every run, never left in /tmp.
  const dir = join(import.meta.dir, "../../test-artifacts/certs");
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const days = ["-days", "2"];
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=jetmq test CA",
    ...days,
  ], dir);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (
    const [name, cn, ext] of [["server", "127.0.0.1", ["-extfile", "san.ext"]], [
      "client",
      "device-1",
      [],
    ]] as const
  ) {
    openssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${cn}`,
    ], dir);
    openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      ...days,
      ...ext,
    ], dir);
  }
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  made = {
    dir,
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
    ca: read("ca.pem"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
  };
  return made;
}
