import { addressBytes, type AddressList, hostOf, withPort } from "../net/cidr.ts";
import type { ClientAddress } from "../runtime/types.ts";

/**
 * The client behind a trusted HTTP proxy: Fly-Client-IP, else the last X-Forwarded-For entry
 * that is not itself a trusted proxy. Null when the peer is no trusted proxy (its headers are
 * anyone's to forge) or says nothing usable.
 */
export function forwardedClient(
  headers: Headers,
  peer: string,
  trusted: AddressList,
): ClientAddress | null {
  if (trusted.size === 0 || !trusted.contains(hostOf(peer))) return null;
  const fly = headers.get("fly-client-ip")?.trim();
  if (fly && addressBytes(fly)) return { remoteAddress: withPort(fly, 0), proxiedBy: peer };
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? "";
    if (!addressBytes(hop)) return null;
    if (!trusted.contains(hop)) return { remoteAddress: withPort(hop, 0), proxiedBy: peer };
  }
  return null;
}
