import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter } from '@auditlake/core';
import { reportPinoMetrics, type AuditLakePinoOptions } from '../src/index.js';
import { fakeLakeForFile } from './fake-lake.js';
import { CHANNEL_ARN } from '../../../test/support/adapter-helpers.js';

// pino loads the transport in a worker thread from the built package (`npx tsc -b` first); the
// sink's self-metrics reach the application's MeterProvider through reportPinoMetrics.
const TARGET = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const lake = fakeLakeForFile({ fail: { Reject: 'InvalidEventSource' } });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-pino-metrics-'));
});
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
  rmSync(dir, { recursive: true, force: true });
});

type Transport = ReturnType<typeof pino.transport>;

function transportOf(options: Partial<AuditLakePinoOptions> = {}): Transport {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AUDITLAKE_')));
  const transport = pino.transport({
    target: TARGET,
    options: { channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials, deadLetter: join(dir, 'letters.jsonl'), flushIntervalMs: 60_000, ...options },
    worker: { env },
  });
  cleanups.push(() => finish(transport));
  return transport;
}

const ended = new WeakSet<Transport>();

/** Ends the transport (once): blocks until the worker's close has run. */
async function finish(transport: Transport): Promise<void> {
  if (ended.has(transport)) return;
  ended.add(transport);
  const closed = once(transport, 'close');
  transport.end();
  await closed;
}

const flush = (logger: pino.Logger) => new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));

/** A real MeterProvider with an in-memory exporter; `collect()` exports once and returns the points by metric name. */
function meterProvider() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Collection is driven by the test (forceFlush), never by this interval.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => provider.shutdown());
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    return points(exporter.getMetrics());
  };
  return { provider, collect };
}

type Point = { value: number; attributes: Record<string, unknown> };

function points(resourceMetrics: ResourceMetrics[]): Record<string, Point[]> {
  const byName: Record<string, Point[]> = {};
  for (const scope of resourceMetrics.at(-1)?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) byName[metric.descriptor.name] = metric.dataPoints.map((point) => ({ value: point.value as number, attributes: point.attributes }));
  }
  return byName;
}

/** `name`'s value with these attributes (none: the point without error.type). */
function value(collected: Record<string, Point[]>, name: string, extra: Record<string, unknown> = {}): number | undefined {
  const matching = (collected[name] ?? []).filter((point) => ('error.type' in extra || !('error.type' in point.attributes)) && Object.entries(extra).every(([key, expected]) => point.attributes[key] === expected));
  expect(matching.length).toBeLessThanOrEqual(1);
  return matching[0]?.value;
}

const audit = (i: number, eventName = 'Charge') => ({ audit: { eventName }, 'user.id': `frank-${i}` });

describe('reportPinoMetrics: the worker sink\'s self-metrics in the application\'s MeterProvider', () => {
  it('reports what was delivered and dead-lettered, fresh once logger.flush() returns, and the final values after the end', async () => {
    const { provider, collect } = meterProvider();
    const transport = transportOf({ maxQueueEvents: 500 });
    const stop = reportPinoMetrics(transport, { meterProvider: provider });
    cleanups.push(stop);
    const logger = pino({ name: 'payments' }, transport);
    await once(transport, 'ready');
    // Nothing is known before the worker has sent its stats: nothing is reported.
    expect(await collect()).toEqual({});

    for (let i = 0; i < 5; i++) logger.info(audit(i));
    logger.info(audit(5, 'Reject'));
    logger.info({ audit: { eventName: 'NoPrincipal' } });
    logger.info('not an audit line');
    await flush(logger);
    expect(lake.events).toHaveLength(5);

    const collected = await collect();
    const component = { 'otel.component.type': 'auditlake_sink' };
    const exporter = { ...component, 'server.address': '127.0.0.1', 'server.port': Number(new URL(lake.endpoint).port) };
    expect(value(collected, 'otel.sdk.exporter.log.exported', exporter)).toBe(5);
    expect(value(collected, 'otel.sdk.exporter.log.exported', { ...exporter, 'error.type': 'InvalidEventSource' })).toBe(1);
    expect(value(collected, 'otel.sdk.processor.log.processed', component)).toBe(6);
    expect((collected['otel.sdk.processor.log.processed'] ?? []).filter((point) => 'error.type' in point.attributes)).toEqual([
      { value: 1, attributes: expect.objectContaining({ 'error.type': 'FieldNotFound' }) },
    ]);
    // The same two as the dead-letter file holds.
    const letters = readFileSync(join(dir, 'letters.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as DeadLetter).reason.code);
    expect(letters.sort()).toEqual(['FieldNotFound', 'InvalidEventSource']);
    expect(value(collected, 'otel.sdk.processor.log.queue.size', component)).toBe(0);
    expect(value(collected, 'otel.sdk.processor.log.queue.capacity', component)).toBe(500);
    expect(value(collected, 'otel.sdk.exporter.log.inflight', exporter)).toBe(0);
    expect(value(collected, 'auditlake.sink.skipped', component)).toBe(1);
    expect(value(collected, 'auditlake.sink.requests', exporter)).toBe(1);

    // Ended: the worker sends its final values, which are reported.
    logger.info(audit(6));
    const final = new Promise<void>((resolve) => transport.on('auditlake:stats', (message: { closed: boolean }) => message.closed && resolve()));
    await finish(transport);
    await final;
    const last = await collect();
    expect(value(last, 'otel.sdk.exporter.log.exported', exporter)).toBe(6);
    expect(lake.events).toHaveLength(6);
  });

  it('reports through the MeterProvider registered globally with @opentelemetry/api', async () => {
    const { provider, collect } = meterProvider();
    metrics.setGlobalMeterProvider(provider);
    const transport = transportOf();
    cleanups.push(reportPinoMetrics(transport));
    const logger = pino({ name: 'payments' }, transport);
    for (let i = 0; i < 3; i++) logger.info(audit(i));
    await flush(logger);
    const collected = await collect();
    expect(value(collected, 'otel.sdk.exporter.log.exported', { 'otel.component.type': 'auditlake_sink' })).toBe(3);
    expect(collected['otel.sdk.processor.log.queue.capacity']?.[0]?.value).toBe(50_000);
  });

  it('without a MeterProvider, nothing is reported and nothing breaks; stopping it detaches the listener', async () => {
    const transport = transportOf();
    const stop = reportPinoMetrics(transport);
    const logger = pino({ name: 'payments' }, transport);
    for (let i = 0; i < 3; i++) logger.info(audit(i));
    // Without a flush, the worker sends its stats on its own timer (every second).
    const [periodic] = (await once(transport, 'auditlake:stats')) as [{ sink: number; closed: boolean; stats: object }];
    expect(periodic).toMatchObject({ sink: expect.any(Number), closed: false, stats: expect.objectContaining({ added: expect.any(Number) }) });
    await flush(logger);
    expect(lake.events).toHaveLength(3);
    expect(transport.listenerCount('auditlake:stats')).toBe(1);
    stop();
    expect(transport.listenerCount('auditlake:stats')).toBe(0);
    await finish(transport);
  });
});
