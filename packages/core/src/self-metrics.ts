/**
 * The sink's counters and gauges as OpenTelemetry metrics, following the semantic conventions
 * for SDK self-observability where they fit (`otel.sdk.processor.log.*`,
 * `otel.sdk.exporter.log.*`), with `auditlake.sink.*` for what they have no name for.
 *
 * Every instrument is observable and read from `stats()` once per collection, in one batch
 * callback: nothing on the hot path. `@opentelemetry/api` is an optional peer dependency, loaded
 * only when no `meterProvider` is given; without it, or without a registered MeterProvider (the
 * API then hands out a no-op one), nothing is reported and nothing fails.
 */
import { createRequire } from 'node:module';
import type { AuditSinkStats } from './ledger.js';
import type { ResolvedAuditSinkOptions } from './resolve-options.js';

/** The part of `@opentelemetry/api`'s `MeterProvider` the sink uses (a real one fits). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** The part of `@opentelemetry/api`'s `Meter` the sink uses. */
export interface MeterLike {
  createObservableCounter(name: string, options?: InstrumentOptions): object;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): object;
  addBatchObservableCallback(callback: BatchCallback, observables: object[]): void;
  removeBatchObservableCallback(callback: BatchCallback, observables: object[]): void;
}

interface InstrumentOptions {
  description?: string;
  unit?: string;
  valueType?: number;
}

type Attributes = Record<string, string | number>;
type BatchCallback = (result: { observe(observable: object, value: number, attributes?: Attributes): void }) => void | Promise<void>;

export interface SinkMetricsOptions {
  /** A MeterProvider; `undefined` for the global one of `@opentelemetry/api` (when installed); `false` for none. */
  meterProvider: MeterProviderLike | false | undefined;
  /** The counters, read at each collection (a promise when they live in another thread). */
  stats: () => AuditSinkStats | Promise<AuditSinkStats>;
  /** Whether the sink is shut down: its last values are reported once more, then the callback is removed. */
  closed: () => boolean;
  /** `maxQueueEvents`, when it bounds the queue (not with a spool, which is bounded in bytes). */
  queueCapacity: number | undefined;
  /** The endpoint the built-in client sends to (`server.address`/`server.port` of the exporter metrics). */
  endpoint: string | undefined;
  /** Where a failure to register is reported. */
  debug: (message: string) => void;
}

/** `ValueType.INT` of `@opentelemetry/api` (stable since 1.3): the counts are integers. */
const INT = 0;
const COMPONENT_TYPE = 'auditlake_sink';
let instances = 0;

/**
 * Registers the sink's instruments with the MeterProvider; returns a function that removes
 * them. `otel.component.name` is `auditlake_sink/<n>`, `n` counting the sinks of this process.
 */
export function registerSinkMetrics(options: SinkMetricsOptions): () => void {
  const provider = options.meterProvider === undefined ? globalMeterProvider(options.debug) : options.meterProvider;
  if (provider === false || provider === undefined) return () => {};
  let meter: MeterLike;
  try {
    meter = provider.getMeter('@auditlake/core', packageVersion());
  } catch (error) {
    options.debug(`auditlake: no self-metrics: the MeterProvider threw ${String(error)}`);
    return () => {};
  }
  const component: Attributes = { 'otel.component.type': COMPONENT_TYPE, 'otel.component.name': `${COMPONENT_TYPE}/${instances++}` };
  const exporter: Attributes = { ...component, ...serverAttributes(options.endpoint) };
  const counter = (name: string, description: string, unit = '{log_record}') => meter.createObservableCounter(name, { description, unit, valueType: INT });
  const upDown = (name: string, description: string, unit = '{log_record}') => meter.createObservableUpDownCounter(name, { description, unit, valueType: INT });

  const processed = counter('otel.sdk.processor.log.processed', 'Audit records the sink finished admitting: queued (no error.type), or refused at once (error.type: queue_full, already_shutdown, or the schema violation)');
  const queueSize = upDown('otel.sdk.processor.log.queue.size', 'Audit events waiting in the sink\'s queue for a request');
  const queueCapacity = options.queueCapacity === undefined ? undefined : upDown('otel.sdk.processor.log.queue.capacity', 'Most audit events the sink holds at once (maxQueueEvents)');
  const inflight = upDown('otel.sdk.exporter.log.inflight', 'Audit events in a request or waiting to be resent');
  const exported = counter('otel.sdk.exporter.log.exported', 'Queued audit events that reached their outcome: delivered (no error.type) or dead-lettered (error.type: the reason code)');
  const skipped = counter('auditlake.sink.skipped', 'Records given to the sink that were not audit events');
  const retried = counter('auditlake.sink.retried', 'Audit events sent again after a failed attempt');
  const requests = counter('auditlake.sink.requests', 'Requests made to the destination', '{request}');
  const queueBytes = upDown('auditlake.sink.queue.bytes', 'Size of the queued audit events, in the destination\'s arithmetic', 'By');
  const truncated = counter('auditlake.sink.truncated_fields', 'Text fields cut to their schema caps, full text kept in additionalEventData.truncated', '{field}');
  const observables = [processed, queueSize, inflight, exported, skipped, retried, requests, queueBytes, truncated, ...(queueCapacity ? [queueCapacity] : [])];

  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    meter.removeBatchObservableCallback(callback, observables);
  };
  const callback: BatchCallback = async (result) => {
    const closed = options.closed();
    const stats = await options.stats();
    result.observe(processed, stats.acceptedEvents - stats.recovered, component);
    for (const [reason, count] of Object.entries(stats.deadLettered.refusedByReason)) {
      result.observe(processed, count, { ...component, 'error.type': processingErrorType(reason) });
    }
    result.observe(queueSize, stats.queuedEvents, component);
    if (queueCapacity) result.observe(queueCapacity, options.queueCapacity as number, component);
    result.observe(inflight, stats.inFlightEvents, exporter);
    result.observe(exported, stats.delivered, exporter);
    for (const [reason, count] of Object.entries(stats.deadLettered.byReason)) {
      const afterQueue = count - (stats.deadLettered.refusedByReason[reason] ?? 0);
      if (afterQueue > 0) result.observe(exported, afterQueue, { ...exporter, 'error.type': reason });
    }
    result.observe(skipped, stats.skipped, component);
    result.observe(retried, stats.retried, exporter);
    result.observe(requests, stats.requests, exporter);
    result.observe(queueBytes, stats.queuedBytes, component);
    result.observe(truncated, stats.truncatedFields, component);
    // Shut down: these were the final values; let go of the sink.
    if (closed) queueMicrotask(remove);
  };
  meter.addBatchObservableCallback(callback, observables);
  return remove;
}

/** What the metrics say of a sink's resolved options: its queue's capacity (none with a spool, bounded in bytes) and the endpoint of the built-in client. */
export function sinkMetricsShape(o: Pick<ResolvedAuditSinkOptions, 'spool' | 'maxQueueEvents' | 'destination'>): Pick<SinkMetricsOptions, 'queueCapacity' | 'endpoint'> {
  return { queueCapacity: o.spool ? undefined : o.maxQueueEvents, endpoint: o.destination.send ? undefined : o.destination.endpoint };
}

/** The conventions' values where they name the cause (a full queue, a closed processor); else the reason code. */
function processingErrorType(reason: string): string {
  return reason === 'QueueFull' ? 'queue_full' : reason === 'Shutdown' ? 'already_shutdown' : reason;
}

function serverAttributes(endpoint: string | undefined): Attributes {
  if (endpoint === undefined) return {};
  try {
    const url = new URL(endpoint);
    return { 'server.address': url.hostname.replace(/^\[(.*)\]$/, '$1'), 'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return {};
  }
}

const require = createRequire(import.meta.url);

/** This package's version, for the meter's scope; `undefined` where package.json is not beside the code (a bundle). */
function packageVersion(): string | undefined {
  try {
    return (require('../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The MeterProvider registered with `@opentelemetry/api` (its no-op one when none is), or `undefined` without the package. */
function globalMeterProvider(debug: (message: string) => void): MeterProviderLike | undefined {
  let api: { metrics?: { getMeterProvider(): MeterProviderLike } };
  try {
    // The API keeps its registrations on globalThis: this copy sees what the application's copy registered.
    api = require('@opentelemetry/api') as typeof api;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') debug(`auditlake: no self-metrics: @opentelemetry/api did not load: ${String(error)}`);
    return undefined;
  }
  return api.metrics?.getMeterProvider();
}
