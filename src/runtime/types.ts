// The seam between jetmq and the JavaScript runtime it runs on: sockets, HTTP with WebSocket
// upgrades, password hashing. One adapter per runtime (src/runtime/<name>/) implements it;
// nothing outside src/runtime names a runtime.

/** The socket as a connection sees it, whatever carries it (TCP, TLS, WebSocket). */
export interface Transport {
  readonly kind: "tcp" | "tls" | "ws" | "wss";
  /** The client's address and port ("1.2.3.4:5678", "[::1]:5678"), as a proxy told it if one did. */
  readonly remoteAddress: string;
  /** The proxy's own address when one spoke for the client (PROXY protocol, X-Forwarded-For). */
  readonly proxiedBy?: string;
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

/**
 * What a listener does with the first bytes of a connection before its stream starts (before
 * TLS, on a TLS listener): a PROXY protocol header, say. Null while it needs more bytes.
 */
export type PrefaceReader = (bytes: Uint8Array, peerAddress: string) => PrefaceDecision | null;

export type PrefaceDecision =
  /** Close the connection: nothing of it reaches `accept`. */
  | { readonly refuse: string }
  /** Drop `length` bytes; the connection's remote address is `remoteAddress` (null: the peer's). */
  | { readonly length: number; readonly remoteAddress: string | null };

export interface Preface {
  readonly read: PrefaceReader;
  /** A connection that has not finished its preface by then is closed. */
  readonly timeoutMs: number;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 lets the OS choose. */
  readonly port: number;
  readonly tls?: TlsSettings;
  readonly preface?: Preface;
}

export interface Listener {
  /** The port listened on (the chosen one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections; open ones stay until their owners close them. */
  stop(): Promise<void>;
}

/** One HTTP request's connection, as a fetch handler sees it. */
export interface HttpConnection {
  /** The peer's address and port (the proxy's, behind one). */
  readonly remoteAddress: string;
  /**
   * Upgrades the request to a WebSocket speaking `protocol` whose binary frames are one byte
   * stream; returns the response to give, or null when the request is no upgrade request.
   * `client` overrides the remote address the transport reports (a trusted proxy's word).
   */
  upgrade(protocol: string, accept: Accept, client?: ClientAddress): Response | null;
}

/** The client's address as a trusted proxy gave it. */
export interface ClientAddress {
  readonly remoteAddress: string;
  readonly proxiedBy: string;
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
  listenTcp(options: ListenOptions, accept: Accept): Promise<Listener>;
  serveHttp(options: ListenOptions, fetch: FetchHandler): Promise<Listener>;
  readonly passwords: PasswordHasher;
  /** Whether its TLS listeners can require client certificates (`tls_ca`). */
  readonly clientCertificates: boolean;
  /** A full garbage collection, now; absent where the runtime offers none. */
  readonly collectGarbage?: () => void;
}
