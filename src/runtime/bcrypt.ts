import { hash, verify } from "@node-rs/bcrypt";
import type { PasswordHasher } from "./types.ts";

/**
 * bcrypt for every runtime, from one native binding: its work runs on a thread pool, so a
 * burst of logins does not stall the event loop (a JavaScript bcrypt blocks ~50 ms per check),
 * and a users file hashed on one runtime verifies on the other.
 */
export const bcrypt: PasswordHasher = {
  hash: (password, cost) => hash(password, { cost, version: "2b" }),
  verify: (password, stored) => verify(password, stored),
};
