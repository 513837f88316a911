import type { Runtime } from "../types.ts";
import { serveHttp } from "./http.ts";
import { listenTcp } from "./tcp.ts";

/** jetmq on Bun: Bun.listen, Bun.serve and Bun.password. */
export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  listenTcp,
  serveHttp,
  passwords: {
    hash: (password, cost) => Bun.password.hash(password, { algorithm: "bcrypt", cost }),
    verify: (password, hash) => Bun.password.verify(password, hash),
  },
};
