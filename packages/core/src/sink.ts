import { writeSync } from 'node:fs';
import { Admission, isRefused, refusalEventJson, type Refusal } from './admission.js';
import type { AuditEvent } from './audit-event.js';
import { Backpressure } from './backpressure.js';
import { createDeadLetterWriter, type DeadLetterWriter } from './dead-letter.js';
import { deliver, type DeliveryContext } from './delivery.js';
import { isRefusal, type Destination, type OutcomeTracker, type OutgoingEvent, type QueuedEvent } from './destination.js';
import { createDestination, ENTRY_DECODERS } from './destinations/index.js';
import { Reporter, type Diagnostics } from './diagnostics.js';
import { EventQueue, hasFullBatch, type EventStore } from './event-queue.js';
import { guardExit } from './exit-guard.js';
import { FailureReports } from './failure-reports.js';
import { Ledger, type AuditSinkStats } from './ledger.js';
import { resolveAuditSinkOptions, type AuditSinkOptions, type ResolvedAuditSinkOptions } from './options.js';
import { RateControl } from './rate-control.js';
import type { AuditLogRecord } from './record.js';
import { Scheduler } from './scheduler.js';
import { registerSinkMetrics } from './self-metrics.js';
import type { Frame } from './spool/frame.js';
import { openSpool, type Spool } from './spool/spool.js';

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
   * cover every record handed to the adapter before them. Returns a function that detaches it.
   */
  attach(drain: () => void): () => void;
  /** The diagnostics the sink reports to (adapters may add their own reports). */
  readonly diagnostics: Diagnostics;
}

export function createAuditSink(options: AuditSinkOptions): AuditSink {
  return new Sink(resolveAuditSinkOptions(options));
}

const SHUTDOWN_MESSAGE = 'the sink is shut down';

class Sink implements AuditSink {
  readonly diagnostics: Diagnostics;
  readonly #o: ResolvedAuditSinkOptions;
  readonly #ledger = new Ledger();
  readonly #reporter: Reporter;
  readonly #deadLetters: DeadLetterWriter;
  readonly #destination: Destination;
  readonly #admission: Admission;
  readonly #store: EventStore;
  readonly #spool: Spool | undefined;
  readonly #scheduler: Scheduler;
  readonly #rate: RateControl;
  readonly #backpressure: Backpressure;
  readonly #failures: FailureReports;
  readonly #delivery: DeliveryContext;
  readonly #hurry = new AbortController();
  readonly #stop = new AbortController();
  readonly #unguardExit: () => void;
  readonly #drains = new Set<() => void>();
  #closing = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #holds = 0;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: ResolvedAuditSinkOptions) {
    const o = (this.#o = options);
    this.diagnostics = o.diagnostics;
    this.#reporter = new Reporter(o.diagnostics);
    for (const { name, suggestion } of o.unknownOptions) {
      this.#reporter.report('warn', `option:${name}`, `auditlake: unknown option ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; it is ignored`);
    }
    this.#deadLetters = createDeadLetterWriter(o.deadLetter, o.fallbackDeadLetterFile, this.#reporter);
    this.#destination = createDestination(o);
    this.#admission = new Admission({
      encodeRecord: o.encodeRecord,
      redact: o.redact,
      // Only a CloudTrail Lake channel has an owner that events must name.
      ...(o.destination.kind === 'cloudtrail-lake' ? { recipientAccountId: o.recipientAccountId } : { recipientAccountId: undefined, recipientOptional: true }),
      truncated: (fields) => {
        this.#ledger.truncated(fields);
        this.#reporter.report('warn', 'truncated', 'auditlake: an event had a text field over its schema cap; it was cut, ending with "…[truncated N chars]", and its full text is in additionalEventData.truncated (stats().truncatedFields counts them; overLongFields: \'deadLetter\' refuses such fields given in audit instead)');
      },
    });
    this.#spool = o.spool && openSpool({
      ...o.spool,
      destination: this.#destination,
      clock: o.clock,
      reporter: this.#reporter,
      ledger: this.#ledger,
      maxMemoryEvents: o.maxQueueEvents,
      maxMemoryBytes: o.maxQueueBytes,
      recode: (frame) => this.#recode(frame),
    });
    this.#store = this.#spool ?? new EventQueue();
    this.#failures = new FailureReports(this.#reporter, o.clock, `${this.#destination.operation} to ${this.#destination.description}`, () => this.#ledger.heldEvents);
    this.#backpressure = new Backpressure({
      clock: o.clock,
      reporter: this.#reporter,
      maxBlockMs: o.maxBlockMs,
      isFull: () => this.#isFull(),
      belowLowWater: () => this.#belowLowWater(),
      describeLimits: () => this.#describeLimits(),
      ...(this.#spool ? { overflow: 'writing new events to the spool only (they are read back in turn)' } : {}),
    });
    this.#rate = new RateControl({
      clock: o.clock,
      enabled: o.adaptiveRate,
      flushIntervalMs: o.flushIntervalMs,
      maxConcurrentRequests: o.maxConcurrentRequests,
      retryDeadlineMs: o.retryDeadlineMs,
      backlogged: () => hasFullBatch(this.#store, this.#destination.limits),
      crowded: () => !this.#belowLowWater(),
      debug: (message) => this.diagnostics.debug(message),
    });
    this.#delivery = {
      destination: this.#destination,
      clock: o.clock,
      requestTimeoutMs: o.requestTimeoutMs,
      retryBaseDelayMs: o.retryBaseDelayMs,
      retryMaxDelayMs: o.retryMaxDelayMs,
      retryDeadlineMs: o.retryDeadlineMs,
      hurry: this.#hurry.signal,
      stop: this.#stop.signal,
      pace: this.#rate,
      topUp: (events) => {
        const more = this.#scheduler.topUp(events);
        this.#ledger.taken(more);
        return more;
      },
      awaited: (events) => this.#scheduler.awaited(events),
      delivered: (events) => this.#settled(events, 'delivered'),
      deadLettered: (events, code, message) => this.#settled(events, 'deadLettered', code, message),
      abandoned: (events, lastFailure) => this.#abandoned(events, lastFailure),
      observe: (observation) => {
        if (observation.type === 'request') this.#ledger.requestStarted();
        else if (observation.type === 'retry') {
          this.#ledger.retried(observation.events);
          this.diagnostics.debug(`auditlake: resending ${observation.events} event(s) in ${observation.delayMs} ms after ${observation.reason}`);
        }
        this.#failures.observe(observation);
        this.#rate.observe(observation);
      },
    };
    this.#scheduler = new Scheduler({
      store: this.#store,
      limits: this.#destination.limits,
      newBatchRule: () => this.#destination.newBatchRule(),
      clock: o.clock,
      rate: this.#rate,
      maxConcurrentRequests: o.maxConcurrentRequests,
      lastSeq: () => this.#ledger.lastSeq,
      start: (batch) => this.#start(batch),
    });
    registerSinkMetrics({
      meterProvider: o.meterProvider,
      stats: () => this.#ledger.stats(),
      closed: () => this.#closed,
      queueCapacity: this.#spool ? undefined : o.maxQueueEvents,
      endpoint: o.destination.send ? undefined : o.destination.endpoint,
      debug: (message) => this.diagnostics.debug(message),
    });
    this.#unguardExit = o.persistOnExit ? guardExit(this) : () => {};
    // What an earlier process left has waited long enough: it goes out at once.
    if (this.#store.length > 0) this.#scheduler.due(this.#ledger.lastSeq);
  }

  add(record: AuditLogRecord): void {
    this.#ledger.added();
    this.#admit(this.#admission.record(record), undefined);
  }

  addEvent(event: AuditEvent): void {
    this.#ledger.added();
    this.#admit(this.#admission.event(event), undefined);
  }

  reject(original: unknown, code: string, message: string): void {
    this.#ledger.added();
    this.#refuse(this.#admission.value(original, String(code), String(message)), undefined);
  }

  deliver(records: readonly AuditLogRecord[]): Promise<DeliveryReport> {
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
          this.#release();
          resolve({ delivered: tracker.delivered, deadLettered: tracker.deadLettered, skipped, kept: tracker.kept });
        },
      };
      this.#hold();
      for (const record of records) {
        this.#ledger.added();
        if (this.#admit(this.#admission.record(record), tracker) === 'skipped') skipped++;
      }
      if (tracker.pending === 0) return tracker.done();
      this.#scheduler.due(this.#ledger.lastSeq);
    });
  }

  flush(): Promise<void> {
    this.#drain();
    const seq = this.#ledger.lastSeq;
    this.#spool?.sync();
    // Sealed segments are synced off the event loop: flush waits for those syncs too.
    const synced = this.#spool?.idle();
    if (this.#ledger.isSettledThrough(seq)) {
      this.#deadLetters.flush();
      return synced ?? Promise.resolve();
    }
    this.#scheduler.due(seq);
    this.#hold();
    return Promise.all([this.#ledger.whenSettledThrough(seq), synced])
      .then(() => undefined)
      .finally(() => {
        this.#deadLetters.flush();
        this.#release();
      });
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  attach(drain: () => void): () => void {
    this.#drains.add(drain);
    return () => void this.#drains.delete(drain);
  }

  waitForCapacity(): Promise<void> | undefined {
    return this.#closing ? undefined : this.#backpressure.wait();
  }

  stats(): AuditSinkStats {
    const stats = this.#ledger.stats();
    if (this.#spool) stats.spool = this.#spool.stats();
    return stats;
  }

  /** The exit listener: keep what is undelivered, synchronously, and say so on stderr. */
  persistAtExit(): void {
    if (this.#closed) return;
    this.#drain();
    this.#closed = true;
    this.#scheduler.stop();
    const volatile = this.#volatileEvents();
    const cause = this.#failures.lastFailure;
    if (volatile.length > 0) {
      this.#settled(volatile, 'deadLettered', 'Exit', `the process exited before this event was delivered (no shutdown)${cause ? `; last failure: ${cause}` : ''}`);
    }
    this.#deadLetters.flush();
    const kept = this.#spool?.closeAtExit() ?? 0;
    const where = [
      volatile.length > 0 ? `${volatile.length} dead-lettered with reason Exit to ${this.#deadLetters.destination}` : '',
      kept > 0 ? `${kept} kept in the spool ${this.#spool?.dir} for the next sink on it` : '',
    ].filter(Boolean);
    if (where.length > 0) toStderr(`(auditlake) warning: the process is exiting with ${volatile.length + kept} undelivered event(s): ${where.join('; ')}\n`);
  }

  #admit(admitted: ReturnType<Admission['record']>, tracker: OutcomeTracker | undefined): 'skipped' | 'refused' | 'queued' {
    if (admitted === 'skipped') {
      this.#ledger.skipped();
      return 'skipped';
    }
    if (isRefused(admitted)) return this.#refuse(admitted, tracker);
    return this.#accept(admitted, tracker);
  }

  #accept(event: OutgoingEvent, tracker: OutcomeTracker | undefined): 'refused' | 'queued' {
    if (this.#closing) return this.#refuseEvent(event, 'Shutdown', SHUTDOWN_MESSAGE, tracker);
    // Refuse a full queue before paying for the entry: the text's length is a lower bound of its size.
    if (!this.#hasRoom(event.json.length)) return this.#refuseEvent(event, 'QueueFull', `the queue is full (${this.#describeLimits()})`, tracker);
    const encoded = this.#destination.encode(event);
    if (isRefusal(encoded)) return this.#refuseEvent(event, encoded.refused.code, encoded.refused.message, tracker);
    if (!this.#hasRoom(encoded.bytes)) return this.#refuseEvent(event, 'QueueFull', `the queue is full (${this.#describeLimits()})`, tracker);
    const queued: QueuedEvent = {
      id: event.id,
      entry: encoded.entry,
      bytes: encoded.bytes,
      timeMs: event.timeMs,
      seq: this.#ledger.nextSeq(),
      acceptedAt: this.#o.clock.now(),
      attempts: 0,
      inFlight: false,
      tracker,
      spooled: undefined,
    };
    if (tracker) tracker.pending++;
    this.#ledger.queued(queued);
    this.#store.push(queued);
    this.#scheduler.queued();
    return 'queued';
  }

  #refuseEvent(event: OutgoingEvent, code: string, message: string, tracker: OutcomeTracker | undefined): 'refused' {
    return this.#refuse({ id: event.id, json: event.json, code, message }, tracker);
  }

  #refuse(refusal: Refusal, tracker: OutcomeTracker | undefined): 'refused' {
    this.#ledger.refused(refusal.code);
    this.#writeDeadLetter(refusalEventJson(refusal), refusal.code, refusal.message, 0);
    if (tracker) tracker.deadLettered++;
    return 'refused';
  }

  #settled(events: QueuedEvent[], outcome: 'delivered' | 'deadLettered', code?: string, message?: string): void {
    if (outcome === 'delivered' && this.#o.onDelivered) this.#notifyDelivered(events);
    if (outcome === 'deadLettered') {
      const letters = events.map((event) => ({ eventJson: this.#destination.auditEventJson(event), attempts: event.attempts }));
      this.#deadLetters.writeMany(letters, code as string, message as string, this.#o.clock.now());
      this.#announce(code as string, message as string);
    }
    this.#ledger.settled(events, outcome, code);
    this.#store.release(events);
    for (const event of events) {
      const tracker = event.tracker;
      if (tracker === undefined) continue;
      tracker[outcome]++;
      if (--tracker.pending === 0) tracker.done();
    }
    this.#backpressure.drained();
  }

  #notifyDelivered(events: QueuedEvent[]): void {
    try {
      this.#o.onDelivered?.(events.map((event) => event.id));
    } catch (error) {
      this.#reporter.report('error', 'on-delivered', `auditlake: the onDelivered hook threw: ${String(error)}`);
    }
  }

  #abandoned(all: QueuedEvent[], lastFailure: string | undefined): void {
    const cause = lastFailure ? `; last failure: ${lastFailure}` : '';
    const volatile = all.filter((event) => event.spooled === undefined);
    if (volatile.length > 0) {
      this.#settled(volatile, 'deadLettered', 'Shutdown', `shutdown ran out of time (shutdownTimeoutMs ${this.#o.shutdownTimeoutMs} ms) before this event was delivered${cause}`);
    }
    // Events in the spool stay there, unsettled: the next sink on it sends them.
    const events = all.filter((event) => event.spooled !== undefined);
    this.#ledger.returned(events);
    for (const event of events) {
      const tracker = event.tracker;
      if (tracker === undefined) continue;
      tracker.kept++;
      if (--tracker.pending === 0) tracker.done();
    }
  }

  #writeDeadLetter(eventJson: string, code: string, message: string, attempts: number): void {
    this.#deadLetters.write(eventJson, code, message, attempts, this.#o.clock.now());
    this.#announce(code, message);
  }

  /** The first dead letter of each reason reaches stderr (later ones only debug output). */
  #announce(code: string, message: string): void {
    this.#reporter.report('warn', `dead-letter:${code}`, `auditlake: events are being dead-lettered to ${this.#deadLetters.destination}; first with reason ${code}: ${message}`);
  }

  #start(batch: QueuedEvent[]): Promise<void> {
    this.#ledger.taken(batch);
    return deliver(batch, this.#delivery).catch((error: unknown) => {
      // A defect, not a delivery failure: still account for every event it held.
      this.#reporter.report('error', 'internal', `auditlake: internal error while delivering: ${String(error)}`);
      const left = batch.filter((event) => event.inFlight);
      if (left.length > 0) this.#settled(left, 'deadLettered', 'InternalError', String(error));
    });
  }

  #hasRoom(bytes: number): boolean {
    if (this.#spool) return this.#spool.hasRoom(bytes);
    return this.#ledger.heldEvents < this.#o.maxQueueEvents && this.#ledger.heldBytes + bytes <= this.#o.maxQueueBytes;
  }

  /** Full: no room for another event, or for an average one by bytes (15/16). */
  #isFull(): boolean {
    if (this.#spool) return this.#spool.isFull();
    return this.#ledger.heldEvents >= this.#o.maxQueueEvents || this.#ledger.heldBytes * 16 >= this.#o.maxQueueBytes * 15;
  }

  #belowLowWater(): boolean {
    if (this.#spool) return this.#spool.belowLowWater();
    return this.#ledger.heldEvents * 4 <= this.#o.maxQueueEvents * 3 && this.#ledger.heldBytes * 4 <= this.#o.maxQueueBytes * 3;
  }

  #describeLimits(): string {
    return this.#spool ? this.#spool.describeLimits() : `maxQueueEvents ${this.#o.maxQueueEvents}, maxQueueBytes ${this.#o.maxQueueBytes}`;
  }

  /** Events that would be lost with the process: everything held, unless the spool has it on disk. */
  #volatileEvents(): QueuedEvent[] {
    return [...this.#scheduler.inFlightEvents().filter((event) => event.spooled === undefined), ...this.#store.drainVolatile()];
  }

  /** A spooled event written by a sink with another destination, re-encoded for this one (or dead-lettered). */
  #recode(frame: Frame): { entry: string; bytes: number } | undefined {
    const decode = ENTRY_DECODERS[frame.format];
    const refuse = (json: string, code: string, message: string) => {
      this.#ledger.added();
      this.#refuse({ id: frame.id, json, code, message }, undefined);
      return undefined;
    };
    if (decode === undefined) return refuse('null', 'SpoolFormat', `the spool holds an entry of unknown format ${frame.format}: ${frame.entry.slice(0, 200)}`);
    const json = decode(frame.entry);
    const encoded = this.#destination.encode({ id: frame.id, json, timeMs: frame.timeMs });
    return isRefusal(encoded) ? refuse(json, encoded.refused.code, encoded.refused.message) : encoded;
  }

  /** While someone awaits delivery, one referenced handle keeps the process alive; otherwise nothing does. */
  #hold(): void {
    if (this.#holds++ === 0) this.#keepAlive = setInterval(() => {}, 1 << 30);
  }

  #release(): void {
    if (--this.#holds === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** Adds what attached adapters still hold; a drain that throws is reported, never fatal. */
  #drain(): void {
    for (const drain of this.#drains) {
      try {
        drain();
      } catch (error) {
        this.#reporter.report('error', 'drain', `auditlake: an adapter's buffer could not be drained: ${String(error)}`);
      }
    }
  }

  /** The spool's work off the event loop (removals, syncs of sealed segments), for at most shutdownTimeoutMs: a hung disk does not hang shutdown. */
  async #spoolIdle(spool: Spool): Promise<void> {
    let timer: { cancel(): void } | undefined;
    await Promise.race([spool.idle(), new Promise<void>((resolve) => (timer = this.#o.clock.setTimeout(resolve, this.#o.shutdownTimeoutMs)))]);
    timer?.cancel();
  }

  async #close(): Promise<void> {
    this.#drain();
    this.#closing = true;
    this.#backpressure.close();
    this.#hurry.abort();
    this.#hold();
    try {
      const seq = this.#ledger.lastSeq;
      this.#scheduler.due(seq);
      const settled = this.#ledger.whenSettledThrough(seq);
      let timer: { cancel(): void } | undefined;
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = this.#o.clock.setTimeout(() => resolve(true), this.#o.shutdownTimeoutMs);
        }),
      ]);
      timer?.cancel();
      if (timedOut) {
        this.#stop.abort(new Error('shutdownTimeoutMs elapsed'));
        this.#scheduler.stop();
        await this.#scheduler.idle();
        const cause = this.#failures.lastFailure;
        const queued = this.#store.drainVolatile();
        if (queued.length > 0) {
          this.#settled(queued, 'deadLettered', 'Shutdown', `shutdown ran out of time (shutdownTimeoutMs ${this.#o.shutdownTimeoutMs} ms) before this event was sent${cause ? `; last failure: ${cause}` : ''}`);
        }
      }
    } finally {
      this.#closed = true;
      this.#unguardExit();
      this.#deadLetters.flush();
      const kept = this.#spool?.close() ?? 0;
      if (this.#spool) await this.#spoolIdle(this.#spool);
      if (kept > 0) {
        this.#reporter.diagnostics.warn(`auditlake: shutdown left ${kept} undelivered event(s) in the spool ${this.#spool?.dir}; the next sink on it sends them`);
      }
      this.#destination.close();
      this.#release();
    }
  }
}

function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // No stderr left.
  }
}
