import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, type AuditSinkOptions, type MeterLike, type MeterProviderLike } from '../src/index.js';
import { auditRecord, CHANNEL_ARN, deadLetters, deferred, quietDiagnostics, recordingSend } from './helpers.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A real MeterProvider with an in-memory exporter; `collect()` exports once and returns the points by metric name. */
function meterProvider() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Collection is driven by the test (forceFlush), never by this interval.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    return points(exporter.getMetrics());
  };
  return { provider, collect };
}

interface Point { value: number; attributes: Record<string, unknown>; unit: string }

function points(resourceMetrics: ResourceMetrics[]): Record<string, Point[]> {
  const byName: Record<string, Point[]> = {};
  for (const scope of resourceMetrics.at(-1)?.scopeMetrics ?? []) {
    expect(scope.scope).toMatchObject({ name: '@auditlake/core', version: PACKAGE_VERSION });
    for (const metric of scope.metrics) {
      byName[metric.descriptor.name] = metric.dataPoints.map((point) => ({ value: point.value as number, attributes: point.attributes, unit: metric.descriptor.unit }));
    }
  }
  return byName;
}

/** The value of `name` for the sink named `component` with these extra attributes (none: the point without error.type). */
function value(collected: Record<string, Point[]>, name: string, component: string, extra: Record<string, unknown> = {}): number | undefined {
  const matching = (collected[name] ?? []).filter((point) => {
    if (point.attributes['otel.component.name'] !== component) return false;
    if (!('error.type' in extra) && 'error.type' in point.attributes) return false;
    return Object.entries(extra).every(([key, expected]) => point.attributes[key] === expected);
  });
  expect(matching.length).toBeLessThanOrEqual(1);
  return matching[0]?.value;
}

const sinks: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.shutdown()));
  metrics.disable();
});

function sink(options: Partial<AuditSinkOptions> = {}) {
  const dead = deadLetters();
  const created = createAuditSink({ channelArn: CHANNEL_ARN, deadLetter: dead.handler, diagnostics: quietDiagnostics().diagnostics, ...options });
  sinks.push(created);
  return created;
}

const componentOf = (collected: Record<string, Point[]>) => {
  const names = new Set((collected['otel.sdk.processor.log.queue.size'] ?? []).map((point) => point.attributes['otel.component.name'] as string));
  expect(names.size).toBe(1);
  return [...names][0] as string;
};

describe('self-metrics through the global MeterProvider', () => {
  it('reports queue, in-flight, processed and exported counts as the conventions name them, read at collection', async () => {
    const { provider, collect } = meterProvider();
    metrics.setGlobalMeterProvider(provider);
    const gate = deferred();
    const network = recordingSend(async (input, call) => {
      if (call === 1) await gate.promise;
      return {
        successful: input.auditEvents.filter((e) => !e.eventData.includes('"user-9"')).map((e) => ({ id: e.id, eventID: 'x' })),
        failed: input.auditEvents.filter((e) => e.eventData.includes('"user-9"')).map((e) => ({ id: e.id, errorCode: 'InvalidData', errorMessage: 'no' })),
      };
    });
    const s = sink({ send: network.send, maxBatchEvents: 2, maxConcurrentRequests: 1, maxQueueEvents: 5, flushIntervalMs: 0 });
    s.add(auditRecord(1));
    s.add(auditRecord(9));
    s.add(auditRecord(3));
    s.add({ attributes: { plain: 'log' } });
    s.add(auditRecord(4, { userIdentity: {} }));
    s.add(auditRecord(5, { errorMessage: 'x'.repeat(300) }));
    for (let i = 0; i < 3; i++) s.add(auditRecord(10 + i)); // the fifth event fills the queue (5 held): two are refused
    const flushed = s.flush();
    await new Promise((resolve) => setImmediate(resolve));

    const during = await collect();
    const name = componentOf(during);
    expect(name).toMatch(/^auditlake_sink\/\d+$/);
    expect(value(during, 'otel.sdk.exporter.log.inflight', name)).toBe(2);
    expect(value(during, 'otel.sdk.processor.log.queue.size', name)).toBe(3);
    expect(value(during, 'otel.sdk.processor.log.queue.capacity', name)).toBe(5);
    expect(value(during, 'otel.sdk.processor.log.processed', name)).toBe(5);
    expect(value(during, 'otel.sdk.processor.log.processed', name, { 'error.type': 'queue_full' })).toBe(2);
    expect(value(during, 'otel.sdk.processor.log.processed', name, { 'error.type': 'FieldNotFound' })).toBe(1);
    expect(value(during, 'otel.sdk.exporter.log.exported', name)).toBe(0);
    expect(value(during, 'auditlake.sink.skipped', name)).toBe(1);
    expect(value(during, 'auditlake.sink.truncated_fields', name)).toBe(1);
    expect(value(during, 'auditlake.sink.requests', name)).toBe(1);
    expect(value(during, 'auditlake.sink.queue.bytes', name)).toBeGreaterThan(1000);
    expect(during['otel.sdk.processor.log.queue.size']![0]!.unit).toBe('{log_record}');
    expect(during['auditlake.sink.queue.bytes']![0]!.unit).toBe('By');
    expect(during['otel.sdk.exporter.log.inflight']![0]!.attributes).toEqual({ 'otel.component.type': 'auditlake_sink', 'otel.component.name': name });

    gate.resolve();
    await flushed;
    const after = await collect();
    expect(value(after, 'otel.sdk.exporter.log.inflight', name)).toBe(0);
    expect(value(after, 'otel.sdk.processor.log.queue.size', name)).toBe(0);
    expect(value(after, 'otel.sdk.exporter.log.exported', name)).toBe(4);
    expect(value(after, 'otel.sdk.exporter.log.exported', name, { 'error.type': 'InvalidData' })).toBe(1);
    // Refused at once: processing errors, not export outcomes.
    expect(value(after, 'otel.sdk.exporter.log.exported', name, { 'error.type': 'QueueFull' })).toBeUndefined();

    await s.shutdown();
    s.add(auditRecord(20));
    const final = await collect();
    expect(value(final, 'otel.sdk.processor.log.processed', name, { 'error.type': 'already_shutdown' })).toBe(1);
  });

  it('names the endpoint of the built-in client on the exporter metrics', async () => {
    const { provider, collect } = meterProvider();
    metrics.setGlobalMeterProvider(provider);
    sink({ endpoint: 'http://127.0.0.1:4599', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const collected = await collect();
    expect(collected['otel.sdk.exporter.log.exported']![0]!.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': 4599 });
    expect(collected['auditlake.sink.skipped']![0]!.attributes['server.address']).toBeUndefined();
  });

  it('each sink is its own component', async () => {
    const { provider, collect } = meterProvider();
    metrics.setGlobalMeterProvider(provider);
    sink({ send: recordingSend().send });
    sink({ send: recordingSend().send });
    const names = (await collect())['otel.sdk.processor.log.queue.size']!.map((point) => point.attributes['otel.component.name']);
    expect(new Set(names).size).toBe(2);
  });
});

describe('choosing the MeterProvider', () => {
  it('the meterProvider option wins over the global one; false reports nothing', async () => {
    const global = meterProvider();
    const own = meterProvider();
    metrics.setGlobalMeterProvider(global.provider);
    sink({ send: recordingSend().send, meterProvider: own.provider });
    sink({ send: recordingSend().send, meterProvider: false });
    expect(await global.collect()).toEqual({});
    expect((await own.collect())['otel.sdk.processor.log.queue.size']).toHaveLength(1);
  });

  it('none registered: the API’s no-op provider, and the sink works as ever', async () => {
    const network = recordingSend();
    const s = sink({ send: network.send });
    s.add(auditRecord(1));
    await s.flush();
    expect(s.stats().delivered).toBe(1);
  });

  it('refuses something that is not a MeterProvider', () => {
    expect(() => sink({ meterProvider: {} as MeterProviderLike })).toThrow('Configuration: meterProvider is invalid, expected an OpenTelemetry MeterProvider (with getMeter), or false');
  });

  it('a shut-down sink is reported once more, then let go', async () => {
    const callbacks = new Set<unknown>();
    const meter: MeterLike = {
      createObservableCounter: () => ({}),
      createObservableUpDownCounter: () => ({}),
      addBatchObservableCallback: (callback) => void callbacks.add(callback),
      removeBatchObservableCallback: (callback) => void callbacks.delete(callback),
    };
    const s = sink({ send: recordingSend().send, meterProvider: { getMeter: () => meter } });
    const collect = async () => {
      const seen: number[] = [];
      for (const callback of callbacks) await (callback as (r: unknown) => Promise<void>)({ observe: (_o: unknown, v: number) => void seen.push(v) });
      await new Promise((resolve) => setImmediate(resolve));
      return seen;
    };
    expect((await collect()).length).toBeGreaterThan(0);
    await s.shutdown();
    expect((await collect()).length).toBeGreaterThan(0);
    expect(callbacks.size).toBe(0);
  });
});

const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('without @opentelemetry/api installed', () => {
  it('a sink is created, delivers, and says nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-no-otel-'));
    try {
      // The process cannot resolve the package, as in an application that never installed it.
      writeFileSync(join(dir, 'no-otel.cjs'), `
        const Module = require('node:module');
        const resolve = Module._resolveFilename;
        Module._resolveFilename = function (request, ...rest) {
          if (request === '@opentelemetry/api' || request.startsWith('@opentelemetry/api/')) throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
          return resolve.call(this, request, ...rest);
        };
      `);
      const script = `
        import { createAuditSink } from ${JSON.stringify(core)};
        const sink = createAuditSink({ channelArn: ${JSON.stringify(CHANNEL_ARN)}, deadLetter: () => {},
          send: async (input) => ({ successful: input.auditEvents.map((e) => ({ id: e.id, eventID: 'x' })), failed: [] }) });
        sink.add({ attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' } } } });
        await sink.shutdown();
        let otel = 'resolvable';
        try { (await import('node:module')).createRequire(import.meta.url)('@opentelemetry/api'); } catch (e) { otel = e.code; }
        console.log(JSON.stringify({ delivered: sink.stats().delivered, otel }));
      `;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', join(dir, 'no-otel.cjs'), '--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_DEBUG: 'auditlake' },
      });
      expect(JSON.parse(stdout)).toEqual({ delivered: 1, otel: 'MODULE_NOT_FOUND' });
      expect(stderr).not.toContain('self-metrics');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
