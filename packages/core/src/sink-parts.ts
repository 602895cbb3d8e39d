import { Admission, type Refusal } from './admission.js';
import { Backpressure } from './backpressure.js';
import { createDeadLetterWriter, type DeadLetterWriter } from './dead-letter.js';
import { Demand } from './demand.js';
import { deliver, type DeliveryContext } from './delivery.js';
import { isRefusal, type Destination, type EncodedEntry } from './destination.js';
import { createDestination, ENTRY_DECODERS } from './destinations/index.js';
import { Reporter } from './diagnostics.js';
import { EventQueue, hasFullBatch, type EventStore } from './event-queue.js';
import { FailureReports } from './failure-reports.js';
import { KeepAlive } from './keep-alive.js';
import { Ledger } from './ledger.js';
import type { ResolvedAuditSinkOptions } from './resolve-options.js';
import { MemoryBounds, type QueueBounds } from './queue-bounds.js';
import { RateControl } from './rate-control.js';
import { Scheduler } from './scheduler.js';
import { registerSinkMetrics, sinkMetricsShape } from './self-metrics.js';
import { Settlement } from './settlement.js';
import { Shutdown } from './shutdown.js';
import type { Frame } from './spool/frame.js';
import { openSpool, type Spool } from './spool/spool.js';

/** What the sink's public methods work with; the rest of the wiring stays inside {@link createSinkParts}. */
export interface SinkParts {
  readonly reporter: Reporter;
  readonly ledger: Ledger;
  readonly admission: Admission;
  readonly destination: Destination;
  readonly deadLetters: DeadLetterWriter;
  readonly spool: Spool | undefined;
  /** The spool, or an in-memory queue. */
  readonly store: EventStore;
  /** The spool's bounds, or those of `maxQueueEvents` and `maxQueueBytes`. */
  readonly bounds: QueueBounds;
  readonly scheduler: Scheduler;
  readonly backpressure: Backpressure;
  /** When an adapter that keeps records in front of `add()` should hand over more. */
  readonly demand: Demand;
  readonly settlement: Settlement;
  readonly keepAlive: KeepAlive;
  readonly shutdown: Shutdown;
}

/**
 * Builds a sink's parts and wires them together: admission, the queue or spool, the scheduler,
 * delivery with its pace and failure reports, settlement, backpressure, self-metrics and the
 * shutdown (with its exit guard). `drain` adds what attached adapters still hold, `feed` the
 * same as the sink wants it.
 */
export function createSinkParts(o: ResolvedAuditSinkOptions, drain: () => void, feed: () => Promise<void> | undefined): SinkParts {
  const ledger = new Ledger();
  const reporter = new Reporter(o.diagnostics);
  for (const { name, suggestion } of o.unknownOptions) {
    reporter.report('warn', `option:${name}`, `auditlake: unknown option ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; it is ignored`);
  }
  const deadLetters = createDeadLetterWriter(o.deadLetter, o.fallbackDeadLetterFile, reporter);
  const destination = createDestination(o);
  const admission = new Admission({
    encodeRecord: o.encodeRecord,
    redact: o.redact,
    // Only a CloudTrail Lake channel has an owner that events must name.
    ...(o.destination.kind === 'cloudtrail-lake' ? { recipientAccountId: o.recipientAccountId } : { recipientAccountId: undefined, recipientOptional: true }),
    truncated: (fields) => {
      ledger.truncated(fields);
      reporter.report('warn', 'truncated', 'auditlake: an event had a text field over its schema cap; it was cut, ending with "…[truncated N chars]", and its full text is in additionalEventData.truncated (stats().truncatedFields counts them; overLongFields: \'deadLetter\' refuses such fields given in audit instead)');
    },
  });
  // Settlement comes before the spool, which may dead-letter what it reads back as it opens; the store and backpressure it reaches are made below.
  const settlement = new Settlement({
    ledger,
    deadLetters,
    destination,
    reporter,
    clock: o.clock,
    onDelivered: o.onDelivered,
    shutdownTimeoutMs: o.shutdownTimeoutMs,
    release: (events) => store.release(events),
    drained: () => backpressure.drained(),
  });
  const spool = o.spool && openSpool({
    ...o.spool,
    destination,
    clock: o.clock,
    reporter,
    ledger,
    maxMemoryEvents: o.maxQueueEvents,
    maxMemoryBytes: o.maxQueueBytes,
    // Called on each push, once everything here is made.
    destinationDown: () => failures.down,
    recode: (frame) => recode(frame, destination, (refusal) => {
      ledger.added();
      settlement.refused(refusal, undefined);
    }),
  });
  const store: EventStore = spool ?? new EventQueue();
  const bounds: QueueBounds = spool?.bounds ?? new MemoryBounds(ledger, o.maxQueueEvents, o.maxQueueBytes);
  const failures = new FailureReports(reporter, o.clock, `${destination.operation} to ${destination.description}`, () => ledger.heldEvents);
  const backpressure = new Backpressure({
    clock: o.clock,
    reporter,
    maxBlockMs: o.maxBlockMs,
    isFull: () => bounds.isFull(),
    belowLowWater: () => bounds.belowLowWater(),
    describeLimits: () => bounds.describeLimits(),
    destinationDown: () => (failures.down ? failures.lastFailure : undefined),
    ...(spool ? { overflow: 'writing new events to the spool only (they are read back in turn)' } : {}),
  });
  const rate = new RateControl({
    clock: o.clock,
    enabled: o.adaptiveRate,
    flushIntervalMs: o.flushIntervalMs,
    maxConcurrentRequests: o.maxConcurrentRequests,
    retryDeadlineMs: o.retryDeadlineMs,
    backlogged: () => hasFullBatch(store, destination.limits),
    crowded: () => !bounds.belowLowWater(),
    debug: (message) => o.diagnostics.debug(message),
  });
  const hurry = new AbortController();
  const stop = new AbortController();
  const delivery: DeliveryContext = {
    destination,
    clock: o.clock,
    requestTimeoutMs: o.requestTimeoutMs,
    retryBaseDelayMs: o.retryBaseDelayMs,
    retryMaxDelayMs: o.retryMaxDelayMs,
    retryDeadlineMs: o.retryDeadlineMs,
    hurry: hurry.signal,
    stop: stop.signal,
    pace: rate,
    topUp: (events) => {
      const more = scheduler.topUp(events);
      ledger.taken(more);
      return more;
    },
    awaited: (events) => scheduler.awaited(events),
    delivered: (events) => settlement.delivered(events),
    deadLettered: (events, code, message) => settlement.deadLettered(events, code, message),
    abandoned: (events, lastFailure) => settlement.abandoned(events, lastFailure),
    observe: (observation) => {
      if (observation.type === 'request') ledger.requestStarted();
      else if (observation.type === 'retry') {
        ledger.retried(observation.events);
        o.diagnostics.debug(`auditlake: resending ${observation.events} event(s) in ${observation.delayMs} ms after ${observation.reason}`);
      }
      failures.observe(observation);
      rate.observe(observation);
      if (observation.type === 'failure') {
        backpressure.failed();
        demand.changed();
      }
    },
  };
  const scheduler = new Scheduler({
    store,
    limits: destination.limits,
    newBatchRule: () => destination.newBatchRule(),
    clock: o.clock,
    rate,
    maxConcurrentRequests: o.maxConcurrentRequests,
    lastSeq: () => ledger.lastSeq,
    start: (batch) => {
      ledger.taken(batch);
      return deliver(batch, delivery).catch((error: unknown) => {
        // A defect, not a delivery failure: still account for every event it held.
        reporter.report('error', 'internal', `auditlake: internal error while delivering: ${String(error)}`);
        const left = batch.filter((event) => event.inFlight);
        if (left.length > 0) settlement.deadLettered(left, 'InternalError', String(error));
      }).finally(() => demand.changed());
    },
  });
  const demand = new Demand({
    limits: destination.limits,
    maxConcurrentRequests: o.maxConcurrentRequests,
    ledger,
    unpaced: (): boolean => spool !== undefined || failures.down || shutdown.closing,
  });
  const keepAlive = new KeepAlive();
  registerSinkMetrics({
    meterProvider: o.meterProvider,
    stats: () => ledger.stats(),
    closed: () => shutdown.closed,
    ...sinkMetricsShape(o),
    debug: (message) => o.diagnostics.debug(message),
  });
  const shutdown = new Shutdown({
    clock: o.clock,
    shutdownTimeoutMs: o.shutdownTimeoutMs,
    persistOnExit: o.persistOnExit,
    ledger,
    scheduler,
    store,
    spool,
    settlement,
    deadLetters,
    failures,
    backpressure,
    destination,
    reporter,
    keepAlive,
    hurry,
    stop,
    drain,
    feed,
    demand,
  });
  // What an earlier process left has waited long enough: it goes out at once.
  if (store.length > 0) scheduler.due(ledger.lastSeq);
  return { reporter, ledger, admission, destination, deadLetters, spool, store, bounds, scheduler, backpressure, demand, settlement, keepAlive, shutdown };
}

/** A spooled event written by a sink with another destination, re-encoded for this one (or dead-lettered through `refuse`). */
function recode(frame: Frame, destination: Destination, refuse: (refusal: Refusal) => void): EncodedEntry | undefined {
  const refused = (json: string, code: string, message: string) => {
    refuse({ id: frame.id, json, code, message });
    return undefined;
  };
  const decode = ENTRY_DECODERS[frame.format];
  if (decode === undefined) return refused('null', 'SpoolFormat', `the spool holds an entry of unknown format ${frame.format}: ${frame.entry.slice(0, 200)}`);
  const json = decode(frame.entry);
  const encoded = destination.encode({ id: frame.id, json, timeMs: frame.timeMs });
  return isRefusal(encoded) ? refused(json, encoded.refused.code, encoded.refused.message) : encoded;
}
