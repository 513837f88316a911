import { bcrypt } from "../bcrypt.ts";
import type { Runtime } from "../types.ts";
import { serveHttp } from "./http.ts";
import { listenTcp } from "./tcp.ts";

/** jetmq on Deno 2: Deno.listen, Deno.listenTls and Deno.serve. */
export const runtime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  listenTcp,
  serveHttp,
  passwords: bcrypt,
  // Deno.listenTls and Deno.serve have no option to ask for client certificates, and node:tls
  // on Deno 2.9 with `requestCert` never completes a handshake with a good client.
  clientCertificates: false,
};
