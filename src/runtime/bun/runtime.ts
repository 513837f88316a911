import { bcrypt } from "../bcrypt.ts";
import type { Runtime } from "../types.ts";
import { serveHttp } from "./http.ts";
import { listenTcp } from "./tcp.ts";

/** jetmq on Bun: Bun.listen and Bun.serve. */
export const runtime: Runtime = {
  name: "bun",
  version: Bun.version,
  listenTcp,
  serveHttp,
  passwords: bcrypt,
  clientCertificates: true,
  collectGarbage: () => Bun.gc(true),
};
