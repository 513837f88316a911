import { connect as netConnect, type Socket as NetSocket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import * as mqttPacket from "mqtt-packet";
import type { IConnackPacket, IConnectPacket, Packet } from "mqtt-packet";
import { waitFor } from "./wait.ts";

/**
 * A byte-level MQTT client for tests that need exact packets: malformed input, raw flags,
 * a reader that stops reading. Server packets are decoded with mqtt-packet.
 */
export class RawClient implements AsyncDisposable {
  readonly packets: Packet[] = [];
  closed = false;
  #taken = 0;
  #socket: NetSocket | null = null;

  /**
   * Connects to `port` on loopback. `preface` bytes (a PROXY protocol header) go first, then,
   * with `tls`, a TLS handshake trusting `tls.ca`.
   */
  static open(
    port: number,
    opts: { preface?: Uint8Array; tls?: { ca: string } } = {},
  ): Promise<RawClient> {
    const client = new RawClient();
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p: Packet) => client.packets.push(p));
    return new Promise((resolve, reject) => {
      const raw = netConnect({ host: "127.0.0.1", port }, () => {
        raw.setNoDelay(true);
        if (opts.preface) raw.write(opts.preface);
        const socket = opts.tls
          ? tlsConnect({ socket: raw, ca: opts.tls.ca }, () => resolve(client))
          : raw;
        client.#socket = socket;
        socket.on("data", (chunk: Buffer) => parser.parse(chunk));
        socket.on("close", () => (client.closed = true));
        socket.on("error", () => (client.closed = true));
        if (!opts.tls) resolve(client);
      });
      raw.once("error", reject);
    });
  }

  /** Sends a packet object (encoded as MQTT 3.1.1) or raw bytes. */
  send(data: Packet | Uint8Array): void {
    const bytes = data instanceof Uint8Array
      ? data
      : mqttPacket.generate(data, { protocolVersion: 4 });
    this.#socket?.write(bytes);
  }

  async connect(options: Partial<IConnectPacket> = {}): Promise<IConnackPacket> {
    this.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: `raw-${crypto.randomUUID().slice(0, 8)}`,
      ...options,
    });
    return (await this.next("connack")) as IConnackPacket;
  }

  /** The next packet of kind `cmd` not returned before. */
  async next(cmd: Packet["cmd"], timeoutMs = 5000): Promise<Packet> {
    return await waitFor(() => {
      for (let i = this.#taken; i < this.packets.length; i++) {
        const p = this.packets[i] as Packet;
        if (p.cmd === cmd) {
          this.#taken = i + 1;
          return p;
        }
      }
      return undefined;
    }, { timeoutMs, what: `a ${cmd.toUpperCase()} packet` });
  }

  /** Packets of kind `cmd` received so far. */
  all(cmd: Packet["cmd"]): Packet[] {
    return this.packets.filter((p) => p.cmd === cmd);
  }

  /** Waits until `n` packets of kind `cmd` have arrived in all; returns them. */
  async waitCount(cmd: Packet["cmd"], n: number, timeoutMs = 5000): Promise<Packet[]> {
    return await waitFor(() => {
      const got = this.all(cmd);
      return got.length >= n ? got : undefined;
    }, { timeoutMs, what: `${n} ${cmd.toUpperCase()} packets` });
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closed, { timeoutMs, what: "the server to close the connection" });
  }

  pauseReading(): void {
    this.#socket?.pause();
  }

  close(): void {
    this.#socket?.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#socket?.destroy();
    return Promise.resolve();
  }
}
