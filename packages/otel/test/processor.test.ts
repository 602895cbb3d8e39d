import { context } from '@opentelemetry/api';
import { Severity } from './severity.js';
import { isTracingSuppressed } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { createAuditSink } from '@auditlake/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLakeLogRecordExporter, AuditLakeLogRecordProcessor, suppressTracingSend, type AuditLakeOtelOptions } from '../src/index.js';
import { TestContextManager } from './context-manager.js';
import { CHANNEL_ARN, EVENT_TIME, deadLetters, quietDiagnostics, recordingSend } from '../../../test/support/adapter-helpers.js';

const providers: LoggerProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
  context.disable();
});

function setup(options: Partial<AuditLakeOtelOptions> = {}) {
  const network = recordingSend();
  const dead = deadLetters();
  const processor = new AuditLakeLogRecordProcessor({
    channelArn: CHANNEL_ARN,
    send: network.send,
    deadLetter: dead.deadLetter,
    diagnostics: quietDiagnostics().diagnostics,
    ...options,
  });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'orders' }), processors: [processor] });
  providers.push(provider);
  return { processor, provider, logger: provider.getLogger('test'), network, dead };
}

const audit = (i: number) => ({ audit: { eventName: 'CreateOrder', responseElements: { order: i } }, 'enduser.id': `carol-${i}` });

describe('AuditLakeLogRecordProcessor', () => {
  it('sends N audit records as N mapped events, skips and counts the others', async () => {
    const { provider, logger, network, processor } = setup();
    const at = Date.UTC(2026, 4, 6, 7, 8, 9);
    for (let i = 0; i < 4; i++) logger.emit({ timestamp: at, severityText: 'INFO', body: `order ${i}`, attributes: audit(i) });
    for (let i = 0; i < 3; i++) logger.emit({ body: 'noise', severityNumber: Severity.DEBUG });
    await provider.forceFlush();
    const events = network.events();
    expect(events).toHaveLength(4);
    events.forEach((data, i) => {
      expect(data).toMatchObject({
        eventName: 'CreateOrder',
        eventSource: 'orders',
        eventTime: '2026-05-06T07:08:09Z',
        userIdentity: { type: 'CustomUserIdentity', principalId: `carol-${i}` },
        responseElements: { order: i },
        additionalEventData: { message: `order ${i}`, severity: 'INFO' },
      });
      expect(data.eventTime).toMatch(EVENT_TIME);
    });
    expect(processor.stats()).toMatchObject({ added: 7, skipped: 3, delivered: 4, deadLettered: { total: 0 } });
  });

  it('dead-letters invalid records with the service code, off the emit path but before the next turn of the event loop ends', async () => {
    const { provider, logger, dead, processor } = setup({ overLongFields: 'deadLetter' });
    logger.emit({ attributes: { audit: { eventName: 'x'.repeat(1025) }, 'user.id': 'u' } });
    logger.emit({ attributes: { 'audit.eventName': 'NoUser' } });
    expect(dead.codes()).toEqual([]); // emit only kept a reference
    await new Promise((resolve) => setImmediate(resolve));
    // Before any flush: invalid records never enter the queue.
    expect(dead.codes()).toEqual(['FieldTooLong', 'FieldNotFound']);
    await provider.forceFlush();
    expect(processor.stats()).toMatchObject({ added: 2, delivered: 0, deadLettered: { total: 2, byReason: { FieldTooLong: 1, FieldNotFound: 1 } } });
  });

  it('reads the record once the whole processor chain has run, as the SDK’s batch processor does (a later processor’s change is seen)', async () => {
    const { network, dead } = { network: recordingSend(), dead: deadLetters() };
    const ours = new AuditLakeLogRecordProcessor({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: dead.deadLetter });
    const meddler = { onEmit: (r: ReadWriteLogRecord) => void r.setAttribute('user.id', 'changed'), forceFlush: async () => {}, shutdown: async () => {} };
    const provider = new LoggerProvider({ processors: [ours, meddler] });
    providers.push(provider);
    provider.getLogger('t').emit({ attributes: { audit: { eventName: 'E', eventSource: 's' }, 'user.id': 'original' } });
    await provider.forceFlush();
    expect(network.events()[0]?.userIdentity.principalId).toBe('changed');
  });

  it('covers with forceFlush(), stats() and shutdown() every record emitted before them, in emit order', async () => {
    const { provider, logger, processor, network } = setup({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) logger.emit({ attributes: audit(i) });
    expect(processor.stats()).toMatchObject({ added: 1000 });
    for (let i = 1000; i < 1500; i++) logger.emit({ attributes: audit(i) });
    await provider.forceFlush();
    expect(network.events().map((event) => event.userIdentity.principalId)).toEqual(Array.from({ length: 1500 }, (_, i) => `carol-${i}`));
    logger.emit({ attributes: audit(1500) });
    await provider.shutdown();
    expect(processor.stats()).toMatchObject({ added: 1501, delivered: 1501 });
  });

  it('takes a burst off the emit path in slices, never blocking the event loop with all of it at once', async () => {
    const { provider, logger, processor } = setup({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 5000; i++) logger.emit({ attributes: audit(i) });
    await new Promise((resolve) => setImmediate(resolve));
    const afterOneTurn = processor.sink.stats().added;
    expect(afterOneTurn).toBeGreaterThan(0);
    expect(afterOneTurn).toBeLessThan(5000);
    await provider.forceFlush();
    expect(processor.stats().added).toBe(5000);
  });

  for (const [how, end] of [
    ['between turns of the event loop', async (provider: LoggerProvider) => provider.forceFlush()],
    ['in forceFlush()', async (provider: LoggerProvider) => provider.forceFlush()],
    ['in shutdown()', async (provider: LoggerProvider) => provider.shutdown()],
  ] as const) {
    it(`hands records over as the sink sends (${how}): a burst waits as records, not as a second copy of each in the queue`, async () => {
      // Requests take 20 ms, far longer than handing a few hundred records over: the sink is the slow side.
      const network = recordingSend(undefined, 20);
      const held: number[] = [];
      const made: { processor?: AuditLakeLogRecordProcessor } = {};
      const { provider, logger, processor } = setup({
        send: async (input, options) => {
          const stats = made.processor!.sink.stats();
          held.push(stats.queuedEvents + stats.inFlightEvents);
          return network.send(input, options);
        },
      });
      made.processor = processor;
      // Within the 4,096 it holds back between turns.
      for (let i = 0; i < 4000; i++) logger.emit({ attributes: audit(i) });
      if (how === 'between turns of the event loop') while (processor.sink.stats().added < 4000) await new Promise((resolve) => setImmediate(resolve));
      await end(provider);
      expect(network.events()).toHaveLength(4000);
      // Four requests at once, a full batch behind them and one being filled (100 events each), and the 32 handed over between two looks.
      expect(Math.max(...held)).toBeLessThanOrEqual(6 * 100 + 32);
    });
  }

  it('holds back at most 4,096 records between turns: in a lasting overload the queue’s bounds decide, as without it', async () => {
    let requests = 0;
    const { logger, processor } = setup({ maxQueueEvents: 5_000, shutdownTimeoutMs: 100, send: () => new Promise(() => void requests++) });
    for (let i = 0; i < 10_000; i++) logger.emit({ attributes: audit(i) });
    while (processor.sink.stats().added < 10_000 - 4_096) await new Promise((resolve) => setImmediate(resolve));
    // Then it waits for a request to end, without looking again on every turn.
    const sink = processor.sink;
    const look = sink.waitForDemand.bind(sink);
    let looks = 0;
    sink.waitForDemand = () => (looks++, look());
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(looks).toBeLessThanOrEqual(2); // the turn that found no demand, if it had not run yet
    expect(processor.sink.stats().added).toBe(10_000 - 4_096);
    expect(processor.sink.stats().deadLettered.byReason).toEqual({ QueueFull: 10_000 - 4_096 - 5_000 });
    expect(requests).toBe(4);
  });

  it('runs its requests with tracing suppressed, also for records emitted inside a traced context', async () => {
    context.setGlobalContextManager(new TestContextManager());
    const seen: boolean[] = [];
    const network = recordingSend();
    const { provider, logger } = setup({
      flushIntervalMs: 0,
      send: async (input, options) => {
        seen.push(isTracingSuppressed(context.active()));
        return network.send(input, options);
      },
    });
    logger.emit({ attributes: audit(1) });
    await provider.forceFlush();
    expect(seen).toEqual([true]);
  });

  it('shares a given sink: shutdown flushes it but leaves it open for its owner', async () => {
    const network = recordingSend();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: network.send, wrapSend: suppressTracingSend });
    const processor = new AuditLakeLogRecordProcessor({ sink });
    const exporter = new AuditLakeLogRecordExporter({ sink });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 's' }), processors: [processor] });
    provider.getLogger('t').emit({ attributes: audit(1) });
    await provider.shutdown();
    expect(network.events()).toHaveLength(1);
    expect(processor.sink).toBe(sink);
    expect(exporter.sink).toBe(sink);
    sink.add({ attributes: audit(2), resource: { 'service.name': 's' } });
    await sink.shutdown();
    expect(sink.stats()).toMatchObject({ added: 2, delivered: 2 });
  });

  it('throws a ConfigurationError naming the option at construction', () => {
    expect(() => new AuditLakeLogRecordProcessor({ channelArn: 'not-an-arn', env: {} })).toThrow(/Configuration: channelArn is invalid/);
    expect(() => new AuditLakeLogRecordExporter({ env: {} })).toThrow(/channelArn/);
  });
});

describe('a synchronous burst of 20,000 audit records (default settings)', () => {
  const BURST = 20_000;

  /** `count` records emitted in one synchronous loop into an AuditLakeLogRecordProcessor, then `forceFlush()`. */
  async function burstIntoProcessor(count: number, options: Partial<AuditLakeOtelOptions> = {}) {
    const network = recordingSend();
    const dead = deadLetters();
    const quiet = quietDiagnostics();
    const processor = new AuditLakeLogRecordProcessor({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: dead.deadLetter, diagnostics: quiet.diagnostics, ...options });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'burst' }), processors: [processor] });
    providers.push(provider);
    const logger = provider.getLogger('burst');
    for (let i = 0; i < count; i++) logger.emit({ attributes: audit(i) });
    await provider.forceFlush();
    return { stats: processor.stats(), network, dead, quiet };
  }

  it('the SDK BatchLogRecordProcessor drops what exceeds its 2,048-record queue, silently', async () => {
    const network = recordingSend();
    const dead = deadLetters();
    const quiet = quietDiagnostics();
    const exporter = new AuditLakeLogRecordExporter({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: dead.deadLetter, diagnostics: quiet.diagnostics });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'burst' }), processors: [new BatchLogRecordProcessor({ exporter })] });
    providers.push(provider);
    const logger = provider.getLogger('burst');
    for (let i = 0; i < BURST; i++) logger.emit({ attributes: audit(i) });
    await provider.forceFlush();
    const stats = exporter.stats();
    console.log(`[measure] BatchLogRecordProcessor(defaults) + AuditLakeLogRecordExporter: ${BURST} emitted, ${stats.added} reached the exporter, ${stats.delivered} delivered, ${stats.deadLettered.total} dead-lettered, ${BURST - stats.added} dropped without a trace`);
    // What the exporter never saw is gone: no dead letter, no counter we can read, no diagnostic.
    expect(stats.added).toBeLessThanOrEqual(2048 + 512);
    expect(stats.delivered).toBe(stats.added);
    expect(dead.letters).toHaveLength(0);
    expect(quiet.messages).toHaveLength(0);
    expect(BURST - stats.added).toBeGreaterThan(17_000);
  });

  it('the AuditLakeLogRecordProcessor delivers the whole burst with the default queue bounds', async () => {
    const { stats, network, dead } = await burstIntoProcessor(BURST);
    console.log(`[measure] AuditLakeLogRecordProcessor(defaults): ${BURST} emitted, ${stats.added} reached the sink, ${stats.delivered} delivered, ${stats.deadLettered.byReason.QueueFull ?? 0} dead-lettered QueueFull, ${BURST - stats.delivered - stats.deadLettered.total} unaccounted`);
    expect(stats.added).toBe(BURST);
    expect(stats.delivered + stats.deadLettered.total).toBe(BURST);
    expect(stats.deadLettered.byReason).toEqual({});
    expect(stats.delivered).toBe(BURST); // within core's default maxQueueEvents (50,000) and maxQueueBytes (32 MiB)
    expect(network.events()).toHaveLength(BURST);
    expect(dead.letters).toHaveLength(0);
  });

  it('the AuditLakeLogRecordProcessor holds a burst beyond a small queue as records and feeds it as the sink sends: all delivered', async () => {
    const { stats, network, dead } = await burstIntoProcessor(BURST, { maxQueueEvents: 1_000 });
    expect(stats.added).toBe(BURST);
    expect(stats.deadLettered.byReason).toEqual({});
    expect(stats.delivered).toBe(BURST);
    expect(network.events()).toHaveLength(BURST);
    expect(dead.letters).toHaveLength(0);
  });

  it('the AuditLakeLogRecordProcessor accounts for every record beyond what it holds (32,768) and a small queue: delivered or dead-lettered QueueFull', async () => {
    const burst = 50_000;
    const { stats, network, dead, quiet } = await burstIntoProcessor(burst, { maxQueueEvents: 10_000 });
    expect(stats.added).toBe(burst);
    // In one synchronous loop nothing is sent: up to 32,768 wait as records (past that, onEmit hands
    // over 512 at a time), 10,000 fill the queue, the rest is refused.
    expect(stats.deadLettered.byReason).toEqual({ QueueFull: burst - stats.delivered });
    expect(stats.delivered).toBeGreaterThanOrEqual(10_000 + 32_768 - 512);
    expect(stats.delivered).toBeLessThanOrEqual(10_000 + 32_768);
    expect(network.events()).toHaveLength(stats.delivered);
    expect(dead.letters).toHaveLength(burst - stats.delivered);
    expect(quiet.messages.some((m) => m.message.includes('QueueFull'))).toBe(true);
  });
});

describe('the SDK SimpleLogRecordProcessor with the exporter', () => {
  it('documents a sharp edge: provider.forceFlush() does not wait for exports in flight; shutdown() does', async () => {
    const network = recordingSend(undefined, 20);
    const exporter = new AuditLakeLogRecordExporter({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: deadLetters().deadLetter });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 's' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('t').emit({ attributes: audit(1) });
    await provider.forceFlush();
    expect(exporter.stats().delivered).toBe(0);
    await provider.shutdown();
    expect(exporter.stats().delivered).toBe(1);
  });
});
