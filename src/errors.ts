/** Context carried by every jetmq error, so a log line can say which client, packet or subject failed. */
export interface ErrorContext {
  clientId?: string;
  packetId?: number;
  subject?: string;
  topic?: string;
  option?: string;
}

abstract class JetmqError extends Error {
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.context = context;
  }
}

/** The peer broke the MQTT protocol; the connection is closed. */
export class ProtocolError extends JetmqError {
  override readonly name = "ProtocolError";

  /** `code`: the MQTT 5 reason an MQTT 5 client is told in the server's DISCONNECT. */
  constructor(message: string, readonly code = 0x82) {
    super(message);
  }
}

/** A topic or filter cannot be used or cannot be mapped to a NATS subject. */
export class TopicError extends JetmqError {
  override readonly name = "TopicError";
}

/** The client is not allowed to do what it asked. */
export class NotAuthorizedError extends JetmqError {
  override readonly name = "NotAuthorizedError";
}

/** A compare-and-set write to JetStream kept losing to concurrent writers. */
export class StoreConflictError extends JetmqError {
  override readonly name = "StoreConflictError";
}

/** JetStream did not store a message (no stream, an error, no answer in time). */
export class StoreError extends JetmqError {
  override readonly name = "StoreError";
}

/** A configuration value is invalid; start-up stops. */
export class ConfigError extends JetmqError {
  override readonly name = "ConfigError";
}

/** What came from NATS is not its protocol: the client library reads that link no further. */
export class NatsProtocolError extends JetmqError {
  override readonly name = "NatsProtocolError";
}

/** NATS is unreachable, lacks JetStream, or the embedded server cannot start. */
export class NatsSetupError extends JetmqError {
  override readonly name = "NatsSetupError";
}

/** The runtime cannot do what jetmq needs (an unknown runtime, a feature it lacks). */
export class RuntimeSupportError extends JetmqError {
  override readonly name = "RuntimeSupportError";
}

/** A short description of any thrown value, for log lines. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof JetmqError) {
    return { error: err.name, message: err.message, ...err.context };
  }
  if (err instanceof Error) return { error: err.name, message: err.message };
  return { error: "unknown", message: String(err) };
}
