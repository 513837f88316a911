/**
 * The socket as a connection sees it. One small adapter per transport (TCP/TLS, WebSocket)
 * implements this; nothing else in jetmq touches sockets.
 */
export interface Transport {
  readonly kind: "tcp" | "tls" | "ws" | "wss";
  readonly remoteAddress: string;
  /** Writes what it can now; returns the bytes taken, or -1 when the socket is closed. */
  write(data: Uint8Array): number;
  /** Flushes and closes the socket. */
  end(): void;
  /** Bytes the transport took but still holds (WebSocket queues them itself). */
  buffered?(): number;
  /** Stops and restarts reading, for inbound backpressure. */
  pause(): void;
  resume(): void;
}
