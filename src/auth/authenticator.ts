import { createHash } from "node:crypto";
import { Reason } from "../mqtt/reason_codes.ts";
import type { Identity } from "../mqtt/session.ts";
import { Permissions, type PermissionSpec } from "./permissions.ts";
import type { UsersFile } from "./users_file.ts";

export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | {
    readonly ok: false;
    /** The CONNACK reason (3.1.1 clients get 0x04, 0x05 or 0x02 for these). */
    readonly code:
      | typeof Reason.badUserNameOrPassword
      | typeof Reason.notAuthorized
      | typeof Reason.clientIdentifierNotValid;
    readonly reason: string;
  };

export interface Credentials {
  readonly username?: string;
  readonly password?: Uint8Array | string;
  readonly clientId: string;
}

// Checked against when the user does not exist, so a wrong username costs what a wrong password
// costs: the time of an answer does not tell which users exist. (bcrypt, cost 10, of a phrase
// nobody can send as a password to a user that does not exist.)
const DUMMY_HASH = "$2b$10$4Et8SdNyUwCec5ByAWVogugqUuinDlq9oFERF1cYkQNl.d293RIWa";

/** Checks a password against a bcrypt hash; the runtime provides it. */
export interface PasswordVerifier {
  verify(password: string, hash: string): Promise<boolean>;
}

const text = (p: Uint8Array | string | undefined) =>
  p === undefined ? undefined : typeof p === "string" ? p : new TextDecoder().decode(p);

/** Who a client is without a users file: one for all (an instance holds them by the thousand). */
const EVERYONE: Identity = Object.freeze({ name: null, permissions: null, maxConnections: null });

/** Checks CONNECT's credentials against the users file (or lets everyone in without one). */
export class Authenticator {
  constructor(readonly file: UsersFile | null, readonly passwords: PasswordVerifier) {}

  async authenticate(c: Credentials): Promise<AuthResult> {
    const file = this.file;
    if (!file) {
      return { ok: true, identity: EVERYONE };
    }
    const password = text(c.password);
    if (c.username === undefined && password === undefined) {
      if (!file.allow_anonymous) {
        return {
          ok: false,
          code: Reason.notAuthorized,
          reason: "Anonymous clients are not allowed",
        };
      }
      return this.#granted(null, file.anonymous_permissions, undefined, undefined, c.clientId);
    }
    const user = file.users.find((u) => u.username === c.username);
    if (!user && password !== undefined) {
      const digest = createHash("sha256").update(password).digest("hex");
      const token = file.tokens.find((t) => t.token_sha256 === digest);
      if (token) {
        return this.#granted(
          token.name,
          token.permissions,
          token.client_id_pattern,
          token.max_connections,
          c.clientId,
        );
      }
    }
    const good = await this.passwords.verify(password ?? "", user?.password ?? DUMMY_HASH);
    if (!user || !good) {
      return { ok: false, code: Reason.badUserNameOrPassword, reason: "Bad user name or password" };
    }
    return this.#granted(
      user.username,
      user.permissions,
      user.client_id_pattern,
      user.max_connections,
      c.clientId,
    );
  }

  #granted(
    name: string | null,
    spec: PermissionSpec | undefined,
    pattern: string | undefined,
    max: number | undefined,
    clientId: string,
  ): AuthResult {
    if (pattern !== undefined) {
      const re = new RegExp(`^(?:${pattern.replaceAll("%u", escapeRegExp(name ?? ""))})$`);
      if (!re.test(clientId)) {
        return {
          ok: false,
          // The client id is what is refused [MQTT-3.1.3-9]: 0x02 for 3.1.1, 0x85 for MQTT 5.
          code: Reason.clientIdentifierNotValid,
          reason: `Client id "${clientId}" is not allowed for "${name}"`,
        };
      }
    }
    const permissions = spec ? new Permissions(spec, name ?? "", clientId) : null;
    return { ok: true, identity: { name, permissions, maxConnections: max ?? null } };
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
