import type { LogLevel } from "../log.ts";
import type { AddressList } from "../net/cidr.ts";

/** What an option of each kind holds once parsed (config.ts parses and validates). */
export interface KindTypes {
  string: string;
  /** Free text that may be left empty (null then). */
  text: string | null;
  port: number;
  size: number;
  /** A size in bytes, or 0 (written 0 or off) for none. */
  optionalSize: number;
  /** Milliseconds. */
  duration: number;
  level: LogLevel;
  replicas: number | "auto";
  url: string | null;
  count: number;
  bool: boolean;
  path: string | null;
  limit: number;
  addresses: AddressList;
}

export type Kind = keyof KindTypes;

export interface OptionSpec {
  readonly key: string;
  /** The Config field that holds it. */
  readonly field: string;
  readonly kind: Kind;
  readonly fallback: string;
  readonly help: string;
}
