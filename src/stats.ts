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
}
