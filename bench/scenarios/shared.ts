import { BenchClient, seqOf } from "../client.ts";
import { type Metrics, runId, type Scenario, settle } from "../measure.ts";
import { publishWindowed } from "./qos1.ts";

const MEMBERS = 4;
const COUNT = 20_000;

/**
 * One publisher keeping 256 QoS 1 in flight → a shared subscription's group of 4 QoS 1 members
 * that acknowledge; compare with "QoS 1 end to end", the same load to one plain subscriber. A
 * broker without shared subscriptions (nats-server 2.9's MQTT) gives every member every message:
 * no figure then.
 */
export const sharedGroup: Scenario = {
  name: "QoS 1 to a shared group of 4",
  metrics: { "msg/s": "higher", "dups": "lower", "smallest share %": "higher" },
  async run(port): Promise<Metrics | null> {
    const topic = `bench/${runId()}/shared`;
    const seen = new Set<number>();
    const perMember = new Array<number>(MEMBERS).fill(0);
    let dups = 0;
    const members: BenchClient[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const m = await BenchClient.connect(port);
      m.onPublish = (payload) => {
        const s = seqOf(payload);
        perMember[i]!++;
        if (seen.has(s)) dups++;
        else seen.add(s);
      };
      await m.subscribe(`$share/bench/${topic}`, 1);
      members.push(m);
    }
    const start = performance.now();
    await publishWindowed(port, topic, COUNT);
    const end = await settle(() => seen.size, COUNT, { idleMs: 2000 });
    for (const m of members) m.close();
    if (dups >= COUNT) return null; // every member got everything: not shared
    return {
      "msg/s": seen.size / ((end - start) / 1000),
      "dups": dups,
      "smallest share %": (100 * Math.min(...perMember)) / COUNT,
    };
  },
};
