import type { TLSOptions } from "bun";
import type { TlsSettings } from "../types.ts";

/** Bun's TLS options: client certificates are required when a CA is given. */
export function bunTls(tls: TlsSettings | undefined): TLSOptions | undefined {
  if (!tls) return undefined;
  const ca = tls.ca ?? undefined;
  return {
    cert: tls.cert,
    key: tls.key,
    ca,
    requestCert: ca !== undefined,
    rejectUnauthorized: ca !== undefined,
  };
}
