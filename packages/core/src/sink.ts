import { isRefused, type Admission, type Refusal } from './admission.js';
import type { AuditEvent } from './audit-event.js';
import type { Clock } from './clock.js';
import { isRefusal, QueuedEventRecord, type OutcomeTracker, type OutgoingEvent } from './destination.js';
import type { Diagnostics } from './diagnostics.js';
import type { AuditSinkStats } from './ledger.js';
import type { AuditSinkOptions } from './options.js';
import { resolveAuditSinkOptions, type ResolvedAuditSinkOptions } from './resolve-options.js';
import type { AuditLogRecord } from './record.js';
import { createSinkParts, type SinkParts } from './sink-parts.js';

/** Outcome of the records given to one `deliver` call. */
export interface DeliveryReport {
  delivered: number;
  deadLettered: number;
  skipped: number;
  /** Left in the spool at shutdown, for a later process to send. */
  kept: number;
}

export interface AuditSink {
  /** Maps, validates and enqueues one record. Synchronous, cheap, never throws. */
  add(record: AuditLogRecord): void;
  /** Enqueues an already-built event (a dead letter being replayed), keeping its id. Never throws. */
  addEvent(event: AuditEvent): void;
  /**
   * Dead-letters something an adapter could not even turn into a record (a custom mapping
   * hook that threw, say), so that it is counted and kept rather than lost. Never throws.
   */
  reject(original: unknown, code: string, message: string): void;
  /** Adds the records and sends them now; resolves with their outcome (OTel's exporter uses this). */
  deliver(records: readonly AuditLogRecord[]): Promise<DeliveryReport>;
  /** Resolves when every event added before the call is delivered or dead-lettered (and, with a spool, synced to disk at once). */
  flush(): Promise<void>;
  /** Idempotent: stops accepting, flushes (for at most `shutdownTimeoutMs`), then releases timers, sockets and the spool. */
  shutdown(): Promise<void>;
  /**
   * Backpressure for adapters: `undefined` when there is room, else a promise that resolves
   * when the queue is down to 3/4, or after `maxBlockMs` (from then on the sink sheds load; with
   * a spool, events then go to disk only, to be read back in turn, and only a full spool sheds).
   */
  waitForCapacity(): Promise<void> | undefined;
  stats(): AuditSinkStats;
  /**
   * For adapters that keep records in front of `add()` (the OTel processor takes records off the
   * emit path and adds them a moment later): `drain` must `add()` everything such a buffer holds,
   * synchronously. The sink calls it first in `flush()`, `shutdown()` and at process exit, so those
   * cover every record handed to the adapter before them. With `feed`, `flush()` and `shutdown()`
   * call it first instead (`shutdown()` within its time limit) and `drain` once it settles: `feed`
   * adds what the buffer holds now as {@link waitForDemand} allows, and returns `undefined` when
   * it holds nothing. Returns a function that detaches them.
   */
  attach(drain: () => void, feed?: () => Promise<void> | undefined): () => void;
  /**
   * For adapters that keep records in front of `add()`: `undefined` when the sink wants more
   * events now, else a promise that resolves when that may have changed (a request ended). The
   * sink wants more until its requests are busy and a full batch waits behind them; always with
   * a spool (records are safe only once on disk), while the destination is down (the queue's
   * bounds decide) and once it is closing.
   */
  waitForDemand(): Promise<void> | undefined;
  /** The diagnostics the sink reports to (adapters may add their own reports). */
  readonly diagnostics: Diagnostics;
}

export function createAuditSink(options: AuditSinkOptions): AuditSink {
  return new Sink(resolveAuditSinkOptions(options));
}

/** A sink from options already resolved (a front end that also reads them). @internal */
export function createResolvedSink(options: ResolvedAuditSinkOptions): AuditSink {
  return new Sink(options);
}

const SHUTDOWN_MESSAGE = 'the sink is shut down';

/** The public face of the engine: admission on the hot path, `flush()`, and the adapters' drains; the parts it drives are in sink-parts.ts. */
class Sink implements AuditSink {
  readonly diagnostics: Diagnostics;
  readonly #clock: Clock;
  readonly #parts: SinkParts;
  readonly #drains = new Set<() => void>();
  readonly #feeds = new Set<() => Promise<void> | undefined>();

  constructor(options: ResolvedAuditSinkOptions) {
    this.diagnostics = options.diagnostics;
    this.#clock = options.clock;
    this.#parts = createSinkParts(options, () => this.#drain(), () => this.#feed());
  }

  add(record: AuditLogRecord): void {
    const { ledger, admission } = this.#parts;
    ledger.added();
    this.#admit(admission.record(record), undefined);
  }

  addEvent(event: AuditEvent): void {
    const { ledger, admission } = this.#parts;
    ledger.added();
    this.#admit(admission.event(event), undefined);
  }

  reject(original: unknown, code: string, message: string): void {
    const { ledger, admission } = this.#parts;
    ledger.added();
    this.#refuse(admission.value(original, String(code), String(message)), undefined);
  }

  deliver(records: readonly AuditLogRecord[]): Promise<DeliveryReport> {
    const { ledger, admission, scheduler, keepAlive } = this.#parts;
    return new Promise((resolve) => {
      let skipped = 0;
      let finished = false;
      const tracker: OutcomeTracker = {
        pending: 0,
        delivered: 0,
        deadLettered: 0,
        kept: 0,
        done: () => {
          if (finished) return;
          finished = true;
          keepAlive.release();
          resolve({ delivered: tracker.delivered, deadLettered: tracker.deadLettered, skipped, kept: tracker.kept });
        },
      };
      keepAlive.hold();
      for (const record of records) {
        ledger.added();
        if (this.#admit(admission.record(record), tracker) === 'skipped') skipped++;
      }
      if (tracker.pending === 0) return tracker.done();
      scheduler.due(ledger.lastSeq);
    });
  }

  flush(): Promise<void> {
    const feeding = this.#feed();
    return feeding ? feeding.then(() => this.#flushHeld()) : this.#flushHeld();
  }

  /** Everything added so far (and what adapters still hold) delivered or dead-lettered. */
  #flushHeld(): Promise<void> {
    const { ledger, spool, deadLetters, scheduler, keepAlive } = this.#parts;
    this.#drain();
    const seq = ledger.lastSeq;
    spool?.sync();
    // Sealed segments are synced off the event loop: flush waits for those syncs too.
    const synced = spool?.idle();
    if (ledger.isSettledThrough(seq)) {
      deadLetters.flush();
      return synced ?? Promise.resolve();
    }
    scheduler.due(seq);
    keepAlive.hold();
    return Promise.all([ledger.whenSettledThrough(seq), synced])
      .then(() => undefined)
      .finally(() => {
        deadLetters.flush();
        keepAlive.release();
      });
  }

  shutdown(): Promise<void> {
    return this.#parts.shutdown.run();
  }

  attach(drain: () => void, feed?: () => Promise<void> | undefined): () => void {
    this.#drains.add(drain);
    if (feed) this.#feeds.add(feed);
    return () => {
      this.#drains.delete(drain);
      if (feed) this.#feeds.delete(feed);
    };
  }

  waitForDemand(): Promise<void> | undefined {
    return this.#parts.demand.wait();
  }

  waitForCapacity(): Promise<void> | undefined {
    return this.#parts.shutdown.closing ? undefined : this.#parts.backpressure.wait();
  }

  stats(): AuditSinkStats {
    const { ledger, spool } = this.#parts;
    const stats = ledger.stats();
    if (spool) stats.spool = spool.stats();
    return stats;
  }

  #admit(admitted: ReturnType<Admission['record']>, tracker: OutcomeTracker | undefined): 'skipped' | 'refused' | 'queued' {
    if (admitted === 'skipped') {
      this.#parts.ledger.skipped();
      return 'skipped';
    }
    if (isRefused(admitted)) return this.#refuse(admitted, tracker);
    return this.#accept(admitted, tracker);
  }

  #accept(event: OutgoingEvent, tracker: OutcomeTracker | undefined): 'refused' | 'queued' {
    const { shutdown, bounds, destination, ledger, store, scheduler } = this.#parts;
    if (shutdown.closing) return this.#refuseEvent(event, 'Shutdown', SHUTDOWN_MESSAGE, tracker);
    // Refuse a full queue before paying for the entry: the text's length is a lower bound of its size.
    if (!bounds.hasRoom(event.json.length)) return this.#refuseEvent(event, 'QueueFull', `the queue is full (${bounds.describeLimits()})`, tracker);
    const encoded = destination.encode(event);
    if (isRefusal(encoded)) return this.#refuseEvent(event, encoded.refused.code, encoded.refused.message, tracker);
    if (!bounds.hasRoom(encoded.bytes)) return this.#refuseEvent(event, 'QueueFull', `the queue is full (${bounds.describeLimits()})`, tracker);
    const queued = new QueuedEventRecord(event.id, encoded.entry, encoded.bytes, event.timeMs, ledger.nextSeq(), this.#clock.now(), tracker, undefined);
    if (tracker) tracker.pending++;
    ledger.queued(queued);
    store.push(queued);
    scheduler.queued();
    return 'queued';
  }

  #refuseEvent(event: OutgoingEvent, code: string, message: string, tracker: OutcomeTracker | undefined): 'refused' {
    return this.#refuse({ id: event.id, json: event.json, code, message }, tracker);
  }

  #refuse(refusal: Refusal, tracker: OutcomeTracker | undefined): 'refused' {
    this.#parts.settlement.refused(refusal, tracker);
    return 'refused';
  }

  /** What attached adapters hold, added as the sink wants it; `undefined` when they hold nothing. A feed that fails is reported, never fatal (the drain after it adds the rest). */
  #feed(): Promise<void> | undefined {
    let feeding: Promise<void>[] | undefined;
    for (const feed of this.#feeds) {
      try {
        const fed = feed();
        if (fed) (feeding ??= []).push(fed.catch((error: unknown) => this.#drainFailed(error)));
      } catch (error) {
        this.#drainFailed(error);
      }
    }
    return feeding && Promise.all(feeding).then(() => undefined);
  }

  #drainFailed(error: unknown): void {
    this.#parts.reporter.report('error', 'drain', `auditlake: an adapter's buffer could not be drained: ${String(error)}`);
  }

  /** Adds what attached adapters still hold; a drain that throws is reported, never fatal. */
  #drain(): void {
    for (const drain of this.#drains) {
      try {
        drain();
      } catch (error) {
        this.#drainFailed(error);
      }
    }
  }
}
