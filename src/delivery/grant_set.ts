import type { Grant, QoS } from "../mqtt/session.ts";
import { patternsOverlap, receives } from "../mqtt/subject_match.ts";
import { SmallMap } from "./small_map.ts";

const NONE_STORED: ReadonlyMap<string, QoS> = new SmallMap<string, QoS>();

/** Past this many subjects, overlaps are assumed rather than looked for. */
const OVERLAP_CHECK_LIMIT = 64;

/** Plain subjects that a change of grants made appear and disappear. */
export interface SubjectChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** A connection's granted filters, and what follows from them for delivery. */
export class GrantSet {
  #grants = new SmallMap<string, Grant>();
  #anyOptions = false;
  /** Plain subject → highest QoS granted on it. */
  #patternQos = new SmallMap<string, QoS>();
  /**
   * Consumer subject of the stored (persistent QoS 1/2) grants → highest QoS granted on it; the
   * shared empty map while there are none (a clean session never has any).
   */
  #storedQos: ReadonlyMap<string, QoS> = NONE_STORED;
  #overlapping = false;
  #anyShared = false;

  /** Some grant is a shared subscription. */
  get anyShared(): boolean {
    return this.#anyShared;
  }

  get grants(): ReadonlyMap<string, Grant> {
    return this.#grants;
  }

  /** Adds (or replaces) grants; returns the plain subjects this made appear and disappear. */
  add(grants: readonly Grant[]): SubjectChanges {
    for (const g of grants) this.#grants.set(g.filter, g);
    return this.#recompute();
  }

  /** Removes filters; returns the plain subjects no filter needs any more. */
  remove(filters: readonly string[]): SubjectChanges {
    for (const f of filters) this.#grants.delete(f);
    return this.#recompute();
  }

  /**
   * The options for a message on `subject`: withheld by No Local only when every matching
   * filter asks for it; RETAIN as published when any does. Cheap when no filter has options.
   */
  options(subject: string): DeliveryOptions {
    if (!this.#anyOptions) return NO_OPTIONS;
    let matched = 0;
    let noLocal = 0;
    let retainAsPublished = false;
    const ids: number[] = [];
    for (const g of this.#grants.values()) {
      if (g.share || !g.subjects.some((p) => receives(p, subject))) continue;
      matched++;
      if (g.options?.nl) noLocal++;
      if (g.options?.rap) retainAsPublished = true;
      if (g.options?.id) ids.push(g.options.id);
    }
    return { noLocal: matched > 0 && noLocal === matched, retainAsPublished, ids };
  }

  /** Some filter has MQTT 5 options (No Local, Retain As Published, an identifier). */
  get anyOptions(): boolean {
    return this.#anyOptions;
  }

  /** Every plain subject of the grants. */
  subjects(): Iterable<string> {
    return this.#patternQos.keys();
  }

  /**
   * The QoS a message on `subject` gets from these grants: the highest among every filter that
   * matches it [MQTT-3.3.5-1]. `pattern` is one subject known to match (the usual single one).
   */
  qosFor(subject: string, pattern: string): QoS {
    if (!this.#overlapping) return this.#patternQos.get(pattern) ?? 0;
    return highest(this.#patternQos, subject);
  }

  /** Can one message match two of these subjects (`a/+` and `a/#`)? Then it is sent once. */
  get overlapping(): boolean {
    return this.#overlapping;
  }

  /**
   * Highest QoS among the stored grants matching `subject`; 0 when none does. `consumerSubject`
   * is one known to match, when there is one (a message from that consumer).
   */
  storedQosFor(subject: string, consumerSubject?: string): QoS {
    if (consumerSubject !== undefined && !this.#overlapping) {
      return this.#storedQos.get(consumerSubject) ?? 0;
    }
    return highest(this.#storedQos, subject);
  }

  /** Some filter has QoS 1 or 2. */
  get anyAboveQos0(): boolean {
    for (const g of this.#grants.values()) if (g.qos > 0) return true;
    return false;
  }

  /** Consumer subjects the stored (persistent QoS 1/2) grants need, with their QoS. */
  storedSubjects(): ReadonlyMap<string, QoS> {
    return this.#storedQos;
  }

  #recompute(): SubjectChanges {
    const before = this.#patternQos;
    this.#patternQos = new SmallMap();
    let stored: SmallMap<string, QoS> | null = null;
    let shared = 0;
    for (const g of this.#grants.values()) {
      // Shared subscriptions are delivered apart (SharedSubscriptions): one member each.
      if (g.share) {
        shared++;
        continue;
      }
      for (const s of g.subjects) {
        raise(this.#patternQos, s, g.qos);
        if (g.stored) raise(stored ??= new SmallMap(), s, g.qos);
      }
    }
    this.#storedQos = stored ?? NONE_STORED;
    this.#overlapping = anyOverlap([...this.#patternQos.keys()]);
    this.#anyOptions = [...this.#grants.values()].some((g) => !g.share && g.options !== undefined);
    this.#anyShared = shared > 0;
    const added = [...this.#patternQos.keys()].filter((s) => !before.has(s));
    const removed = [...before.keys()].filter((s) => !this.#patternQos.has(s));
    return { added, removed };
  }
}

function raise(map: SmallMap<string, QoS>, subject: string, qos: QoS): void {
  map.set(subject, Math.max(map.get(subject) ?? 0, qos) as QoS);
}

function anyOverlap(patterns: readonly string[]): boolean {
  if (patterns.length > OVERLAP_CHECK_LIMIT) return true;
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) {
      if (patternsOverlap(patterns[i] as string, patterns[j] as string)) return true;
    }
  }
  return false;
}

function highest(qosOf: ReadonlyMap<string, QoS>, subject: string): QoS {
  let best: QoS = 0;
  for (const [pattern, qos] of qosOf) {
    if (qos > best && receives(pattern, subject)) best = qos;
  }
  return best;
}

/** What the MQTT 5 options of the filters matching a message ask of its delivery. */
export interface DeliveryOptions {
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  /** The Subscription Identifiers of every matching filter that has one [MQTT-3.3.4-3]. */
  readonly ids: readonly number[];
}

const NO_OPTIONS: DeliveryOptions = Object.freeze({
  noLocal: false,
  retainAsPublished: false,
  ids: [],
});
