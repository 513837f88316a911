import type { Logger } from "../log.ts";
import { type AddressList, hostOf } from "../net/cidr.ts";
import { parseProxyHeader } from "../net/proxy_header.ts";
import type { Preface } from "../runtime/types.ts";

/**
 * PROXY protocol (v1 and v2) in front of every connection of a listener: only `trusted`
 * balancers may send it, and they must. The client address it carries becomes the connection's
 * address everywhere (login counting, logs, /connz). LOCAL headers (health checks) keep the
 * balancer's own address.
 */
export function proxyPreface(trusted: AddressList, timeoutMs: number, log: Logger): Preface {
  const refuse = (remote: string, reason: string) => {
    log.warn("proxy.refused", { remote, reason });
    return { refuse: reason };
  };
  return {
    timeoutMs,
    read(bytes, peer) {
      if (!trusted.contains(hostOf(peer))) {
        return refuse(peer, `${hostOf(peer)} is not in proxy_trusted`);
      }
      const header = parseProxyHeader(bytes);
      if (header === null) return null;
      if (typeof header === "string") return refuse(peer, header);
      return {
        length: header.length,
        remoteAddress: header.kind === "proxy" ? header.source : null,
      };
    },
  };
}
