// The seam between jetmq and the JavaScript runtime it runs on: sockets, HTTP with WebSocket
// upgrades, password hashing. One adapter per runtime (src/runtime/<name>/) implements it;
// nothing outside src/runtime names a runtime.

/** The socket as a connection sees it, whatever carries it (TCP, TLS, WebSocket). */
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

/** Receives a transport's events; a Connection implements it. */
export interface TransportPeer {
  receive(chunk: Uint8Array): void;
  /** The socket can take more bytes. */
  drain(): void;
  transportClosed(): void;
}

/** Called for every accepted socket; returns who receives its events. */
export type Accept = (transport: Transport) => TransportPeer;

/** PEM texts; with `ca`, clients must present a certificate it signed. */
export interface TlsSettings {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | null;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 lets the OS choose. */
  readonly port: number;
  readonly tls?: TlsSettings;
}

export interface Listener {
  /** The port listened on (the chosen one when 0 was asked for). */
  readonly port: number;
  stop(): Promise<void>;
}

/** One HTTP request's connection, as a fetch handler sees it. */
export interface HttpConnection {
  readonly remoteAddress: string;
  /**
   * Upgrades the request to a WebSocket speaking `protocol` whose binary frames are one byte
   * stream; returns the response to give, or null when the request is no upgrade request.
   */
  upgrade(protocol: string, accept: Accept): Response | null;
}

export type FetchHandler = (req: Request, conn: HttpConnection) => Response | Promise<Response>;

/** bcrypt, as the users file stores passwords (`$2a$`, `$2b$`, `$2y$`). */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly version: string;
  listenTcp(options: ListenOptions, accept: Accept): Listener;
  serveHttp(options: ListenOptions, fetch: FetchHandler): Listener;
  readonly passwords: PasswordHasher;
}
