/** Counters of one instance, read by monitoring. Plain numbers: updated on hot paths. */
export class Stats {
  readonly startedAt = Date.now();
  connectionsTotal = 0;
  msgsIn = 0;
  bytesIn = 0;
  msgsOut = 0;
  bytesOut = 0;
  droppedQos0 = 0;
  protocolErrors = 0;
  /** Messages this instance handed to members of each shared subscription (`$share/…`). */
  readonly sharedMessages = new Map<string, number>();

  sharedMessage(filter: string): void {
    this.sharedMessages.set(filter, (this.sharedMessages.get(filter) ?? 0) + 1);
  }
}
