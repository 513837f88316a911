import type { NatsConnection } from "@nats-io/transport-node";
import { type Dispatcher, FastParser } from "./fast_parser.ts";

/** What of nats.js 3.x's protocol handler the parser swap touches. */
interface ParsingHandler extends Dispatcher {
  parser: { parse(chunk: Uint8Array): void; state?: number; argBuf?: unknown; msgBuf?: unknown };
}

/**
 * Makes the connection read NATS with `FastParser` instead of the library's parser, now and
 * after every reconnect (the library makes a new parser each time it dials). Done only between
 * operations — the library's parser holding nothing — and only with the library version jetmq
 * knows; false otherwise, and the library's parser stays.
 */
export function parseFaster(nc: NatsConnection): boolean {
  const handler = (nc as unknown as { protocol?: ParsingHandler }).protocol;
  const current = handler?.parser;
  if (
    !handler || typeof handler.push !== "function" || typeof current?.parse !== "function" ||
    current.state !== 0 || current.argBuf !== undefined || current.msgBuf !== undefined
  ) return false;
  let parser = new FastParser(handler);
  Object.defineProperty(handler, "parser", {
    configurable: true,
    enumerable: true,
    get: () => parser,
    // A reconnect starts a new stream: a new parser, as the library's would be.
    set: () => parser = new FastParser(handler),
  });
  return true;
}
