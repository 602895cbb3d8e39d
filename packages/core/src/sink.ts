import {
  auditEventEntry,
  cappedFieldBytes,
  eventDataChecksum,
  newAuditEventId,
  requestBodyBytes,
  type AuditEvent,
} from './audit-event.js';
import { EventQueue, type OutcomeTracker, type PendingEvent } from './batcher.js';
import { createDeadLetterWriter, type DeadLetter, type DeadLetterWriter } from './dead-letter.js';
import { deliver, type Delivery, type DeliveryHost } from './delivery.js';
import { OncePerCause, type Diagnostics } from './diagnostics.js';
import { isJsonObject } from './map-record.js';
import { resolveAuditSinkOptions, type AuditSinkOptions, type ResolvedAuditSinkOptions } from './options.js';
import { createPutAuditEventsClient, type PutAuditEventsClient, type PutAuditEventsSend } from './put-audit-events.js';
import type { EncodedRecord } from './map-record.js';
import type { AuditLogRecord } from './record.js';
import type { RequestFailure } from './retry.js';
import type { AuditEventData } from './schema.js';
import { stringifySafe, toJsonSafe, utf8Bytes } from './serialize.js';
import { validateAuditEventEntry, validateEventData } from './validate.js';

/** Counters of a sink. At any quiet moment: `added = skipped + delivered + deadLettered.total + queuedEvents + inFlightEvents`. */
export interface AuditSinkStats {
  /** Records (and events) given to `add`, `addEvent` or `deliver`. */
  added: number;
  /** Records that were not audit events. */
  skipped: number;
  /** Events the service accepted. */
  delivered: number;
  /** Events dead-lettered, in total and by reason code. */
  deadLettered: { total: number; byReason: Record<string, number> };
  /** Event re-sends (an event sent three times counts two). */
  retried: number;
  /** PutAuditEvents calls made. */
  requests: number;
  /** Events waiting for a request. */
  queuedEvents: number;
  /** Their size as request entries, in bytes. */
  queuedBytes: number;
  /** Events in a request or waiting to be resent. */
  inFlightEvents: number;
}

/** Outcome of the records given to one `deliver` call. */
export interface DeliveryReport {
  delivered: number;
  deadLettered: number;
  skipped: number;
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
  /** Resolves when every event added before the call is delivered or dead-lettered. */
  flush(): Promise<void>;
  /** Idempotent: stops accepting, flushes (for at most `shutdownTimeoutMs`), then releases timers and sockets. */
  shutdown(): Promise<void>;
  /**
   * Backpressure for adapters: `undefined` when there is room, else a promise that resolves
   * when the queue is down to 3/4, or after `maxBlockMs` (from then on the sink sheds load).
   */
  waitForCapacity(): Promise<void> | undefined;
  stats(): AuditSinkStats;
  /** The diagnostics the sink reports to (adapters may add their own reports). */
  readonly diagnostics: Diagnostics;
}

export function createAuditSink(options: AuditSinkOptions): AuditSink {
  return new Sink(resolveAuditSinkOptions(options));
}

const SHUTDOWN_MESSAGE = 'the sink is shut down';

class Sink implements AuditSink {
  readonly diagnostics: Diagnostics;
  readonly #options: ResolvedAuditSinkOptions;
  readonly #client: PutAuditEventsClient | undefined;
  readonly #report: OncePerCause;
  readonly #deadLetters: DeadLetterWriter;
  readonly #queue = new EventQueue();
  readonly #deliveries = new Set<Delivery>();
  readonly #abort = new AbortController();
  readonly #host: DeliveryHost;
  readonly #counts = { added: 0, skipped: 0, delivered: 0, deadLettered: 0, retried: 0, requests: 0 };
  readonly #byReason: Record<string, number> = {};
  #inFlightEvents = 0;
  #inFlightBytes = 0;
  #seq = 0;
  /** Events up to this sequence number are sent without waiting for a full batch. */
  #flushThrough = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #flushWaiters: { seq: number; resolve: () => void }[] = [];
  #closing = false;
  #shutdown: Promise<void> | undefined;
  #shedding = false;
  #capacity: { promise: Promise<void>; resolve: () => void; timer: NodeJS.Timeout } | undefined;
  #holds = 0;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: ResolvedAuditSinkOptions) {
    this.#options = options;
    this.diagnostics = options.diagnostics;
    this.#report = new OncePerCause(options.diagnostics);
    this.#deadLetters = createDeadLetterWriter(options.deadLetter, this.#report);
    let send: PutAuditEventsSend;
    if (options.send) {
      send = options.send;
    } else {
      this.#client = createPutAuditEventsClient({
        region: options.region,
        endpoint: options.endpoint,
        credentials: options.credentials,
        requestTimeoutMs: options.requestTimeoutMs,
        maxSockets: options.maxConcurrentRequests,
      });
      send = this.#client.send;
    }
    this.#host = this.#createHost(options.wrapSend ? options.wrapSend(send) : send);
  }

  add(record: AuditLogRecord): void {
    this.#add(record, undefined);
  }

  addEvent(event: AuditEvent): void {
    this.#counts.added++;
    const problem = validateAuditEventEntry(event);
    if (problem !== undefined) {
      const usable = isJsonObject(event) && typeof event.id === 'string' && typeof event.eventData === 'string';
      if (usable) this.#refuse({ id: event.id, eventData: event.eventData }, 'InvalidData', problem, undefined);
      else this.#refuseValue(event, 'InvalidData', problem, undefined);
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.eventData);
    } catch {
      this.#refuse({ id: event.id, eventData: event.eventData }, 'InvalidData', 'eventData is not valid JSON', undefined);
      return;
    }
    // The replayed text is sent as it was; the validator measures the capped fields itself.
    this.#accept(data as AuditEventData, undefined, event.id, event.eventData, false);
  }

  reject(original: unknown, code: string, message: string): void {
    this.#counts.added++;
    this.#refuseValue(original, String(code), String(message), undefined);
  }

  deliver(records: readonly AuditLogRecord[]): Promise<DeliveryReport> {
    return new Promise((resolve) => {
      let skipped = 0;
      let finished = false;
      const tracker: OutcomeTracker = {
        pending: 0,
        delivered: 0,
        deadLettered: 0,
        done: () => {
          if (finished) return;
          finished = true;
          this.#release();
          resolve({ delivered: tracker.delivered, deadLettered: tracker.deadLettered, skipped });
        },
      };
      this.#hold();
      for (const record of records) if (this.#add(record, tracker) === 'skipped') skipped++;
      if (tracker.pending === 0) return tracker.done();
      this.#flushThrough = this.#seq;
      this.#pump();
    });
  }

  flush(): Promise<void> {
    const seq = this.#seq;
    if (this.#lowestUnsettledSeq() > seq) {
      this.#deadLetters.flush();
      return Promise.resolve();
    }
    this.#flushThrough = Math.max(this.#flushThrough, seq);
    this.#hold();
    const done = new Promise<void>((resolve) => this.#flushWaiters.push({ seq, resolve }));
    this.#pump();
    return done.finally(() => this.#release());
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  waitForCapacity(): Promise<void> | undefined {
    if (this.#options.maxBlockMs === 0 || this.#closing || this.#shedding || !this.#isFull()) return undefined;
    if (!this.#capacity) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      const timer = setTimeout(() => {
        this.#shedding = true;
        this.diagnostics.warn(
          `auditlake: the queue stayed full for maxBlockMs (${this.#options.maxBlockMs} ms); dead-lettering new events with QueueFull until it drains`,
        );
        this.#releaseCapacity();
      }, this.#options.maxBlockMs);
      timer.unref();
      this.#capacity = { promise, resolve, timer };
    }
    return this.#capacity.promise;
  }

  stats(): AuditSinkStats {
    const c = this.#counts;
    return {
      added: c.added,
      skipped: c.skipped,
      delivered: c.delivered,
      deadLettered: { total: c.deadLettered, byReason: { ...this.#byReason } },
      retried: c.retried,
      requests: c.requests,
      queuedEvents: this.#queue.length,
      queuedBytes: this.#queue.bytes,
      inFlightEvents: this.#inFlightEvents,
    };
  }

  #add(record: AuditLogRecord, tracker: OutcomeTracker | undefined): 'skipped' | 'refused' | 'queued' {
    this.#counts.added++;
    let encoded: EncodedRecord | undefined;
    try {
      encoded = this.#options.encodeRecord(record);
    } catch (error) {
      // Only hostile inputs get here (a throwing getter or proxy on the attributes themselves).
      return this.#refuseValue(record, 'InvalidData', `the record could not be mapped: ${String(error)}`, tracker);
    }
    if (encoded === undefined) {
      this.#counts.skipped++;
      return 'skipped';
    }
    return this.#accept(encoded.data, tracker, newAuditEventId(), encoded.json, true);
  }

  /**
   * Validates and enqueues one event (or dead-letters it at once). `ownText` says `json` is
   * exactly `JSON.stringify(data)`, so its length bounds the fields' sizes.
   */
  #accept(data: AuditEventData, tracker: OutcomeTracker | undefined, id: string, json: string, ownText: boolean): 'refused' | 'queued' {
    const event: AuditEvent = { id, eventData: json };
    if (this.#closing) return this.#refuse(event, 'Shutdown', SHUTDOWN_MESSAGE, tracker);
    const measured = ownText ? cappedFieldBytes(data as unknown as Record<string, unknown>, json) : undefined;
    const violation = validateEventData(data, {
      recipientAccountId: this.#options.recipientAccountId,
      fieldBytes: measured,
      eventDataLength: ownText ? json.length : undefined,
    });
    if (violation) return this.#refuse(event, violation.code, violation.message, tracker);
    if (this.#options.checksum) event.eventDataChecksum = eventDataChecksum(json);

    const entry = auditEventEntry(event);
    const bytes = utf8Bytes(entry);
    const { maxBatchBytes, maxQueueEvents, maxQueueBytes } = this.#options;
    if (requestBodyBytes(bytes, 1) > maxBatchBytes) {
      return this.#refuse(event, 'EventTooLarge', `the event needs a ${requestBodyBytes(bytes, 1)}-byte request body; maxBatchBytes is ${maxBatchBytes}`, tracker);
    }
    if (this.#queue.length + this.#inFlightEvents >= maxQueueEvents || this.#queue.bytes + this.#inFlightBytes + bytes > maxQueueBytes) {
      return this.#refuse(event, 'QueueFull', `the queue is full (maxQueueEvents ${maxQueueEvents}, maxQueueBytes ${maxQueueBytes})`, tracker);
    }
    if (tracker) tracker.pending++;
    const seq = ++this.#seq;
    this.#queue.push({ event, entry, bytes, seq, deadline: Date.now() + this.#options.retryDeadlineMs, attempts: 0, tracker });
    if (this.#queue.hasFullBatch(this.#options.maxBatchEvents, maxBatchBytes)) this.#schedulePump();
    else this.#armFlushTimer();
    return 'queued';
  }

  /** Dead-letters any value, rendered safely as the event's data, under a new id. */
  #refuseValue(value: unknown, code: string, message: string, tracker: OutcomeTracker | undefined): 'refused' {
    return this.#refuse({ id: newAuditEventId(), eventData: stringifySafe(toJsonSafe(value)) }, code, message, tracker);
  }

  /** Dead-letters an event that never entered the queue. */
  #refuse(event: AuditEvent, code: string, message: string, tracker: OutcomeTracker | undefined): 'refused' {
    this.#deadLetter(event, code, message, 0);
    if (tracker) tracker.deadLettered++;
    return 'refused';
  }

  #deadLetter(event: AuditEvent, code: string, message: string, attempts: number): void {
    this.#counts.deadLettered++;
    this.#byReason[code] = (this.#byReason[code] ?? 0) + 1;
    const letter: DeadLetter = { event, reason: { code, message }, time: new Date().toISOString(), attempts };
    this.#deadLetters.write(letter);
    this.#report.report('warn', `dead-letter:${code}`, `auditlake: events are being dead-lettered to ${this.#deadLetters.destination}; first with reason ${code}: ${message}`);
  }

  #armFlushTimer(): void {
    if (this.#flushTimer !== undefined || this.#closing) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushThrough = this.#seq;
      this.#pump();
    }, this.#options.flushIntervalMs);
    this.#flushTimer.unref();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts requests while there are free slots and batches that are full or due. */
  #pump(): void {
    const { maxBatchEvents, maxBatchBytes, maxConcurrentRequests } = this.#options;
    while (this.#deliveries.size < maxConcurrentRequests && !this.#abort.signal.aborted) {
      const head = this.#queue.peek();
      if (head === undefined) break;
      if (head.seq > this.#flushThrough && !this.#queue.hasFullBatch(maxBatchEvents, maxBatchBytes)) break;
      const events = this.#queue.takeBatch(maxBatchEvents, maxBatchBytes);
      this.#inFlightEvents += events.length;
      for (const event of events) this.#inFlightBytes += event.bytes;
      const delivery: Delivery = { events };
      this.#deliveries.add(delivery);
      void deliver(delivery, this.#host)
        .catch((error: unknown) => {
          // A defect, not a delivery failure: still account for every event it held.
          this.#report.report('error', 'internal', `auditlake: internal error while delivering: ${String(error)}`);
          this.#host.deadLettered(delivery.events.splice(0), 'InternalError', String(error));
        })
        .finally(() => {
          this.#deliveries.delete(delivery);
          this.#pump();
          this.#settled();
        });
    }
    const head = this.#queue.peek();
    if (head !== undefined && head.seq > this.#flushThrough) this.#armFlushTimer();
  }

  #createHost(send: PutAuditEventsSend): DeliveryHost {
    const o = this.#options;
    const leave = (events: PendingEvent[]) => {
      this.#inFlightEvents -= events.length;
      for (const event of events) this.#inFlightBytes -= event.bytes;
    };
    return {
      send,
      channelArn: o.channel.arn,
      externalId: o.externalId,
      requestTimeoutMs: o.requestTimeoutMs,
      retryBaseDelayMs: o.retryBaseDelayMs,
      retryMaxDelayMs: o.retryMaxDelayMs,
      signal: this.#abort.signal,
      now: Date.now,
      requestStarted: () => {
        this.#counts.requests++;
      },
      delivered: (events) => {
        leave(events);
        this.#counts.delivered += events.length;
        for (const event of events) this.#track(event, 'delivered');
        this.#settled();
      },
      deadLettered: (events, code, message) => {
        leave(events);
        for (const event of events) {
          this.#deadLetter(event.event, code, message, event.attempts);
          this.#track(event, 'deadLettered');
        }
        this.#settled();
      },
      retrying: (events, reason, delayMs) => {
        this.#counts.retried += events.length;
        this.diagnostics.debug(`auditlake: resending ${events.length} event(s) in ${delayMs} ms after ${reason}`);
      },
      requestFailed: (failure, willRetry) => this.#reportFailure(failure, willRetry),
    };
  }

  #reportFailure(failure: RequestFailure, willRetry: boolean): void {
    const what = `PutAuditEvents failed with ${failure.code}${failure.statusCode ? ` (HTTP ${failure.statusCode})` : ''}: ${failure.message}`;
    if (failure.configuration) {
      this.#report.report('error', `request:${failure.code}`, `auditlake: ${what}. This is a configuration fault (channel ${this.#options.channel.arn}, endpoint ${this.#options.endpoint}); ${willRetry ? 'retrying' : 'the events are dead-lettered'}.`);
    } else if (willRetry) {
      this.diagnostics.debug(`auditlake: ${what}; retrying`);
    } else {
      this.#report.report('warn', `request:${failure.code}`, `auditlake: ${what}; the events are dead-lettered`);
    }
  }

  #track(event: PendingEvent, outcome: 'delivered' | 'deadLettered'): void {
    const tracker = event.tracker;
    if (tracker === undefined) return;
    tracker[outcome]++;
    if (--tracker.pending === 0) tracker.done();
  }

  /** After outcomes: wake flush waiters whose events are all settled, and blocked adapters. */
  #settled(): void {
    const lowest = this.#lowestUnsettledSeq();
    if (this.#flushWaiters.length > 0 && (this.#flushWaiters[0] as { seq: number }).seq < lowest) {
      this.#deadLetters.flush();
      while (this.#flushWaiters.length > 0 && (this.#flushWaiters[0] as { seq: number }).seq < lowest) this.#flushWaiters.shift()?.resolve();
    }
    if ((this.#capacity || this.#shedding) && this.#belowLowWater()) {
      this.#shedding = false;
      this.#releaseCapacity();
    }
  }

  #lowestUnsettledSeq(): number {
    let lowest = this.#queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
    for (const delivery of this.#deliveries) lowest = Math.min(lowest, delivery.events[0]?.seq ?? Number.POSITIVE_INFINITY);
    return lowest;
  }

  #isFull(): boolean {
    const held = this.#queue.length + this.#inFlightEvents;
    return held >= this.#options.maxQueueEvents || (this.#queue.bytes + this.#inFlightBytes) * 16 >= this.#options.maxQueueBytes * 15;
  }

  #belowLowWater(): boolean {
    const held = this.#queue.length + this.#inFlightEvents;
    return held * 4 <= this.#options.maxQueueEvents * 3 && (this.#queue.bytes + this.#inFlightBytes) * 4 <= this.#options.maxQueueBytes * 3;
  }

  #releaseCapacity(): void {
    const capacity = this.#capacity;
    if (!capacity) return;
    this.#capacity = undefined;
    clearTimeout(capacity.timer);
    capacity.resolve();
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

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#shedding = false;
    this.#releaseCapacity();
    this.#hold();
    try {
      const flushed = this.flush();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        flushed.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.#options.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.#abort.abort(new Error('shutdownTimeoutMs elapsed'));
        const queued = this.#queue.drain();
        for (const event of queued) {
          this.#deadLetter(event.event, 'Shutdown', 'shutdown ran out of time (shutdownTimeoutMs) before this event was sent', event.attempts);
          this.#track(event, 'deadLettered');
        }
        this.#settled();
        await flushed;
      }
    } finally {
      this.#deadLetters.flush();
      this.#client?.destroy();
      this.#release();
    }
  }
}
