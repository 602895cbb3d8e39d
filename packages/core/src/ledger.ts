import type { QueuedEvent } from './destination.js';

/**
 * Counters of a sink. At any quiet moment, for events
 * `added + recovered = skipped + delivered + deadLettered.total + queuedEvents + inFlightEvents`,
 * and for bytes `acceptedBytes = settledBytes + queuedBytes + inFlightBytes`.
 */
export interface AuditSinkStats {
  /** Records (and events) given to `add`, `addEvent`, `reject` or `deliver`. */
  added: number;
  /** Events an earlier process left in the spool that this sink took over. */
  recovered: number;
  /** Records that were not audit events. */
  skipped: number;
  /** Events the service accepted. */
  delivered: number;
  /**
   * Events dead-lettered, in total and by reason code; `refusedByReason` is the part of
   * `byReason` refused by `add` itself, before the queue (schema violations, `QueueFull`,
   * `Shutdown`), the rest having been queued first.
   */
  deadLettered: { total: number; byReason: Record<string, number>; refusedByReason: Record<string, number> };
  /** Event re-sends (an event sent three times counts two). */
  retried: number;
  /** Requests made to the destination. */
  requests: number;
  /** Events waiting for a request (in memory or in the spool). */
  queuedEvents: number;
  /** Their size as entries, in the destination's arithmetic. */
  queuedBytes: number;
  /** Events in a request or waiting to be resent. */
  inFlightEvents: number;
  /** Their size. */
  inFlightBytes: number;
  /** Every event ever queued (those `recovered` included). */
  acceptedEvents: number;
  /** Size of every event ever queued. */
  acceptedBytes: number;
  /** Size of every queued event that was then delivered or dead-lettered. */
  settledBytes: number;
  /** Text fields cut to their schema caps, with a marker (their full texts are in `additionalEventData.truncated`). */
  truncatedFields: number;
  /** With a spool: what it holds. */
  spool?: SpoolStats;
}

export interface SpoolStats {
  /** This sink's own directory in `spoolDir`. */
  dir: string;
  /** Bytes of segment files on disk (this sink's and those it took over), against `maxSpoolBytes`. */
  diskBytes: number;
  /** Events held in memory: the window about to be batched, plus any the disk would not take. */
  memoryEvents: number;
  /** Why the disk cannot be written, when it cannot (events are then held in memory). */
  degraded?: string;
}

export type Outcome = 'delivered' | 'deadLettered';

/**
 * The one owner of every count and byte, and of the settled watermark that `flush()` waits on:
 * events are numbered as they are queued, and the watermark is the highest number below which
 * every event is settled, whatever order outcomes arrive in.
 */
export class Ledger {
  readonly #counts = { added: 0, recovered: 0, skipped: 0, delivered: 0, deadLettered: 0, retried: 0, requests: 0, accepted: 0, truncatedFields: 0 };
  readonly #byReason: Record<string, number> = {};
  readonly #refusedByReason: Record<string, number> = {};
  #queuedEvents = 0;
  #queuedBytes = 0;
  #inFlightEvents = 0;
  #inFlightBytes = 0;
  #acceptedBytes = 0;
  #settledBytes = 0;
  #lastSeq = 0;
  #settledThrough = 0;
  readonly #settledAbove = new Set<number>();
  readonly #waiters: { seq: number; resolve: () => void }[] = [];

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Events held (queued or in flight), and their bytes: what the queue bounds limit. */
  get heldEvents(): number {
    return this.#queuedEvents + this.#inFlightEvents;
  }

  get heldBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  added(): void {
    this.#counts.added++;
  }

  skipped(): void {
    this.#counts.skipped++;
  }

  requestStarted(): void {
    this.#counts.requests++;
  }

  retried(count: number): void {
    this.#counts.retried += count;
  }

  truncated(fields: number): void {
    this.#counts.truncatedFields += fields;
  }

  /** The number of the next event to queue. */
  nextSeq(): number {
    return ++this.#lastSeq;
  }

  /** An event entered the queue (`recovered`: from an earlier process's spool). */
  queued(event: QueuedEvent, recovered = false): void {
    if (recovered) this.#counts.recovered++;
    this.#counts.accepted++;
    this.#queuedEvents++;
    this.#queuedBytes += event.bytes;
    this.#acceptedBytes += event.bytes;
  }

  /** Events taken into a request. */
  taken(events: readonly QueuedEvent[]): void {
    for (const event of events) {
      event.inFlight = true;
      this.#queuedEvents--;
      this.#queuedBytes -= event.bytes;
      this.#inFlightEvents++;
      this.#inFlightBytes += event.bytes;
    }
  }

  /** Events given back unsettled (left in the spool at shutdown). */
  returned(events: readonly QueuedEvent[]): void {
    for (const event of events) {
      if (!event.inFlight) continue;
      event.inFlight = false;
      this.#inFlightEvents--;
      this.#inFlightBytes -= event.bytes;
      this.#queuedEvents++;
      this.#queuedBytes += event.bytes;
    }
  }

  /** A dead letter that never entered the queue (refused at once). */
  refused(code: string): void {
    this.#counts.deadLettered++;
    this.#byReason[code] = (this.#byReason[code] ?? 0) + 1;
    this.#refusedByReason[code] = (this.#refusedByReason[code] ?? 0) + 1;
  }

  /** Queued or in-flight events reached their outcome. */
  settled(events: readonly QueuedEvent[], outcome: Outcome, code?: string): void {
    for (const event of events) {
      if (event.inFlight) {
        event.inFlight = false;
        this.#inFlightEvents--;
        this.#inFlightBytes -= event.bytes;
      } else {
        this.#queuedEvents--;
        this.#queuedBytes -= event.bytes;
      }
      this.#settledBytes += event.bytes;
      this.#settle(event.seq);
    }
    if (outcome === 'delivered') {
      this.#counts.delivered += events.length;
    } else {
      this.#counts.deadLettered += events.length;
      const reason = code ?? 'Unknown';
      this.#byReason[reason] = (this.#byReason[reason] ?? 0) + events.length;
    }
    this.#wake();
  }

  /** Whether every event numbered up to `seq` is settled. */
  isSettledThrough(seq: number): boolean {
    return this.#settledThrough >= seq;
  }

  /** Resolves once every event numbered up to `seq` is settled. */
  whenSettledThrough(seq: number): Promise<void> {
    if (this.isSettledThrough(seq)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  stats(): AuditSinkStats {
    const c = this.#counts;
    return {
      added: c.added,
      recovered: c.recovered,
      skipped: c.skipped,
      delivered: c.delivered,
      deadLettered: { total: c.deadLettered, byReason: { ...this.#byReason }, refusedByReason: { ...this.#refusedByReason } },
      retried: c.retried,
      requests: c.requests,
      queuedEvents: this.#queuedEvents,
      queuedBytes: this.#queuedBytes,
      inFlightEvents: this.#inFlightEvents,
      inFlightBytes: this.#inFlightBytes,
      acceptedEvents: c.accepted,
      acceptedBytes: this.#acceptedBytes,
      settledBytes: this.#settledBytes,
      truncatedFields: c.truncatedFields,
    };
  }

  #settle(seq: number): void {
    if (seq !== this.#settledThrough + 1) {
      this.#settledAbove.add(seq);
      return;
    }
    this.#settledThrough = seq;
    while (this.#settledAbove.delete(this.#settledThrough + 1)) this.#settledThrough++;
  }

  #wake(): void {
    // Waiters are pushed in order of their sequence numbers: `lastSeq` only grows.
    while (this.#waiters.length > 0 && (this.#waiters[0] as { seq: number }).seq <= this.#settledThrough) this.#waiters.shift()?.resolve();
  }
}
