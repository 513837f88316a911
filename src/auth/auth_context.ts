import type { Config } from "../config.ts";
import {
  Authenticator,
  type AuthResult,
  type Credentials,
  type PasswordVerifier,
} from "./authenticator.ts";
import { LoginThrottle, type Throttled } from "./login_throttle.ts";
import { readUsersFile } from "./users_file.ts";

/** Live connections of this instance, in all and per user, for the connection limits. */
export class ConnectionCounts {
  total = 0;
  #byName = new Map<string, number>();

  of(name: string | null): number {
    return name === null ? 0 : this.#byName.get(name) ?? 0;
  }

  add(name: string | null): void {
    this.total++;
    if (name !== null) this.#byName.set(name, this.of(name) + 1);
  }

  remove(name: string | null): void {
    this.total--;
    if (name === null) return;
    const n = this.of(name) - 1;
    if (n > 0) this.#byName.set(name, n);
    else this.#byName.delete(name);
  }
}

/**
 * Everything CONNECT needs to decide who gets in (handlers see it as their AdmissionPort). The
 * authenticator is swapped on reload.
 */
export class AuthContext {
  authenticator: Authenticator;
  readonly throttle: LoginThrottle;
  readonly counts = new ConnectionCounts();

  constructor(
    readonly config: Pick<Config, "usersFile" | "connectRate" | "authFailures">,
    readonly passwords: PasswordVerifier,
  ) {
    this.authenticator = new Authenticator(
      config.usersFile ? readUsersFile(config.usersFile) : null,
      passwords,
    );
    this.throttle = new LoginThrottle(config.authFailures, 10_000, config.connectRate);
  }

  authenticate(credentials: Credentials): Promise<AuthResult> {
    return this.authenticator.authenticate(credentials);
  }

  overRate(address: string, now: number): string | null {
    return this.throttle.overRate(address, now);
  }

  throttled(address: string, user: string | undefined, now: number): Throttled | null {
    return this.throttle.throttled(address, user, now);
  }

  failed(address: string, user: string | undefined, now: number): void {
    this.throttle.failed(address, user, now);
  }

  succeeded(address: string, user: string | undefined, now: number): void {
    this.throttle.succeeded(address, user, now);
  }

  connections(name: string | null): { readonly total: number; readonly ofUser: number } {
    return { total: this.counts.total, ofUser: this.counts.of(name) };
  }

  /** Reads the users file again; connections keep the permissions they connected with. */
  reload(): void {
    if (this.config.usersFile) {
      this.authenticator = new Authenticator(readUsersFile(this.config.usersFile), this.passwords);
    }
  }
}
