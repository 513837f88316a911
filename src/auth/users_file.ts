import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.ts";
import type { PermissionSpec } from "./permissions.ts";

/** One user of the users file. */
export interface UserSpec {
  readonly username: string;
  /** bcrypt hash (`htpasswd -nbB user pw`, or any bcrypt library). */
  readonly password?: string;
  readonly permissions?: PermissionSpec;
  /** Client ids this user may connect with, a regular expression; `%u` is the username. */
  readonly client_id_pattern?: string;
  /** Connections at once per instance. */
  readonly max_connections?: number;
}

/** A token, given in CONNECT's password field (any username), stored as its SHA-256. */
export interface TokenSpec {
  readonly name: string;
  readonly token_sha256: string;
  readonly permissions?: PermissionSpec;
  readonly client_id_pattern?: string;
  readonly max_connections?: number;
}

export interface UsersFile {
  readonly allow_anonymous: boolean;
  /** Permissions of anonymous clients, when allowed. */
  readonly anonymous_permissions?: PermissionSpec;
  readonly users: readonly UserSpec[];
  readonly tokens: readonly TokenSpec[];
}

const fail = (path: string, what: string): never => {
  throw new ConfigError(`Users file "${path}": ${what}`, { option: "users_file" });
};

function checkRules(path: string, who: string, p: unknown): PermissionSpec | undefined {
  if (p === undefined) return undefined;
  if (typeof p !== "object" || p === null) fail(path, `permissions of "${who}" must be an object`);
  for (const kind of ["publish", "subscribe"] as const) {
    const r = (p as Record<string, unknown>)[kind];
    if (r === undefined) continue;
    for (const list of ["allow", "deny"] as const) {
      const l = (r as Record<string, unknown>)[list];
      if (
        l !== undefined && (!Array.isArray(l) || l.some((f) => typeof f !== "string" || f === ""))
      ) {
        fail(path, `${kind}.${list} of "${who}" must be a list of topic filters`);
      }
    }
  }
  return p as PermissionSpec;
}

/** Reads and checks the users file; every mistake stops with a message saying where. */
export function readUsersFile(path: string): UsersFile {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(`Cannot read users file "${path}"`, { option: "users_file" }, { cause });
  }
  const users = (raw.users ?? []) as UserSpec[];
  const tokens = (raw.tokens ?? []) as TokenSpec[];
  if (!Array.isArray(users) || !Array.isArray(tokens)) {
    fail(path, `"users" and "tokens" must be lists`);
  }
  const names = new Set<string>();
  for (const u of users) {
    if (typeof u.username !== "string" || u.username === "") fail(path, "a user has no username");
    if (names.has(u.username)) fail(path, `user "${u.username}" appears twice`);
    names.add(u.username);
    if (typeof u.password !== "string" || !u.password.startsWith("$2")) {
      fail(path, `user "${u.username}" needs "password": a bcrypt hash ($2…)`);
    }
    checkRules(path, u.username, u.permissions);
    if (u.client_id_pattern !== undefined) new RegExp(u.client_id_pattern);
  }
  for (const t of tokens) {
    if (!/^[0-9a-f]{64}$/.test(t.token_sha256 ?? "")) {
      fail(path, `token "${t.name}" needs "token_sha256"`);
    }
    checkRules(path, t.name, t.permissions);
  }
  return {
    allow_anonymous: raw.allow_anonymous === undefined
      ? users.length + tokens.length === 0
      : raw.allow_anonymous === true,
    anonymous_permissions: checkRules(path, "anonymous", raw.anonymous_permissions),
    users,
    tokens,
  };
}
