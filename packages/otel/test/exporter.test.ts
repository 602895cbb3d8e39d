import { context, trace, type Context } from '@opentelemetry/api';
import { Severity } from './severity.js';
import { ExportResultCode, isTracingSuppressed, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditLakeLogRecordExporter, type AuditLakeOtelOptions } from '../src/index.js';
import { TestContextManager } from './context-manager.js';
import { CHANNEL_ARN, EVENT_TIME, deadLetters, quietDiagnostics, recordingSend } from '../../../test/support/adapter-helpers.js';

const providers: LoggerProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
  context.disable();
});

function setup(processor: (exporter: AuditLakeLogRecordExporter) => LogRecordProcessor, options: Partial<AuditLakeOtelOptions> = {}) {
  const network = recordingSend();
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const exporter = new AuditLakeLogRecordExporter({
    channelArn: CHANNEL_ARN,
    send: network.send,
    deadLetter: dead.deadLetter,
    diagnostics: quiet.diagnostics,
    ...options,
  });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'billing' }),
    processors: [processor(exporter)],
  });
  providers.push(provider);
  return { exporter, provider, logger: provider.getLogger('test'), network, dead, quiet };
}

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('AuditLakeLogRecordExporter', () => {
  it('under the BatchLogRecordProcessor sends N audit records as N mapped events and skips the rest', async () => {
    const { provider, logger, network, exporter } = setup((exporter) => new BatchLogRecordProcessor({ exporter }));
    for (let i = 0; i < 5; i++) {
      logger.emit({
        timestamp: AT + i * 1000,
        severityNumber: Severity.INFO,
        body: `invoice ${i} paid`,
        attributes: { audit: { eventName: 'PayInvoice', requestParameters: { invoice: i } }, 'user.id': `alice-${i}`, 'http.route': '/pay' },
      });
    }
    logger.emit({ body: 'just a log line', attributes: { 'http.route': '/health' } });
    logger.emit({ body: 'another one' });
    await provider.forceFlush();

    const events = network.events();
    expect(events).toHaveLength(5);
    events.forEach((data, i) => {
      expect(data.eventName).toBe('PayInvoice');
      expect(data.eventSource).toBe('billing');
      expect(data.userIdentity).toEqual({ type: 'CustomUserIdentity', principalId: `alice-${i}` });
      expect(data.eventTime).toMatch(EVENT_TIME);
      expect(data.eventTime).toBe(`${new Date(AT + i * 1000).toISOString().slice(0, 19)}Z`);
      expect(data.requestParameters).toEqual({ invoice: i });
      expect(data.recipientAccountId).toBe('123456789012');
      expect(data.additionalEventData).toMatchObject({ message: `invoice ${i} paid`, severity: 'INFO', attributes: { 'http.route': '/pay' } });
    });
    expect(exporter.stats()).toMatchObject({ added: 7, skipped: 2, delivered: 5, deadLettered: { total: 0 } });
  });

  it('under the SimpleLogRecordProcessor delivers each record; shutdown waits for delivery', async () => {
    const { provider, logger, network, exporter } = setup((exporter) => new SimpleLogRecordProcessor({ exporter }));
    for (let i = 0; i < 3; i++) {
      // Flat attribute keys mean the same as the nested form.
      logger.emit({
        eventName: 'user.login',
        severityText: 'notice',
        body: { outcome: 'ok', attempt: i },
        attributes: { 'audit.userIdentity.principalId': 'bob', 'audit.sourceIPAddress': '10.0.0.1' },
      });
    }
    await provider.shutdown();
    const events = network.events();
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      eventName: 'user.login', // the OTel event name is the fallback
      eventSource: 'billing',
      sourceIPAddress: '10.0.0.1',
      userIdentity: { principalId: 'bob' },
      additionalEventData: { message: '{"outcome":"ok","attempt":0}', severity: 'notice' },
    });
    expect(exporter.stats()).toMatchObject({ added: 3, delivered: 3, queuedEvents: 0, inFlightEvents: 0 });
  });

  it('keeps trace and span ids of the active span, and falls back to the SeverityNumber name', async () => {
    const { provider, logger, network } = setup((exporter) => new BatchLogRecordProcessor({ exporter }));
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const active: Context = trace.setSpanContext(context.active(), spanContext);
    logger.emit({ context: active, severityNumber: Severity.WARN2, attributes: { audit: { eventName: 'X', userIdentity: { principalId: 'p' } } } });
    await provider.forceFlush();
    expect(network.events()[0]?.additionalEventData).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId, severity: 'WARN2' });
  });

  it('dead-letters invalid records with the service code and reports FAILED through the processor', async () => {
    const { provider, logger, network, dead, exporter } = setup((exporter) => new BatchLogRecordProcessor({ exporter }));
    logger.emit({ attributes: { audit: { eventName: 'NoPrincipal' } } }); // no user.id: FieldNotFound
    logger.emit({ attributes: { audit: { eventName: 'BadIp', sourceIPAddress: 'not-an-ip' }, 'user.id': 'u' } });
    logger.emit({ attributes: { audit: { eventName: 'Fine' }, 'user.id': 'u' } });
    await provider.forceFlush();
    expect(dead.codes().sort()).toEqual(['FieldNotFound', 'InvalidData']);
    expect(network.events().map((e) => e.eventName)).toEqual(['Fine']);
    expect(exporter.stats()).toMatchObject({ added: 3, delivered: 1, deadLettered: { total: 2, byReason: { FieldNotFound: 1, InvalidData: 1 } } });
  });

  it('runs its requests with tracing suppressed (and applies a user wrapSend once)', async () => {
    context.setGlobalContextManager(new TestContextManager());
    const seen: boolean[] = [];
    let wrapped = 0;
    const network = recordingSend();
    const { provider, logger } = setup((exporter) => new BatchLogRecordProcessor({ exporter }), {
      send: async (input, options) => {
        seen.push(isTracingSuppressed(context.active()));
        return network.send(input, options);
      },
      wrapSend: (send) => {
        wrapped++;
        return send;
      },
    });
    logger.emit({ attributes: { audit: { eventName: 'A' }, 'user.id': 'u' } });
    await provider.forceFlush();
    expect(seen).toEqual([true]);
    expect(wrapped).toBe(1);
  });
});

describe('AuditLakeLogRecordExporter.export', () => {
  /** Real SDK records, captured by the SDK's own in-memory exporter. */
  async function realRecords(count: number): Promise<ReadableLogRecord[]> {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    const logger = provider.getLogger('capture');
    for (let i = 0; i < count; i++) logger.emit({ body: `r${i}`, attributes: { audit: { eventName: `E${i}` }, 'user.id': 'u' } });
    await provider.forceFlush();
    return memory.getFinishedLogRecords();
  }

  function exporterWith(options: Partial<AuditLakeOtelOptions>) {
    const dead = deadLetters();
    const exporter = new AuditLakeLogRecordExporter({ channelArn: CHANNEL_ARN, deadLetter: dead.deadLetter, diagnostics: quietDiagnostics().diagnostics, ...options });
    return { exporter, dead };
  }

  function exportOnce(exporter: AuditLakeLogRecordExporter, logs: ReadableLogRecord[]) {
    const results: ExportResult[] = [];
    return new Promise<ExportResult[]>((resolve) => {
      exporter.export(logs, (result) => {
        results.push(result);
        // Let any second (wrong) call arrive before we look.
        setTimeout(() => resolve(results), 30);
      });
    });
  }

  it('calls back exactly once with SUCCESS when everything was delivered', async () => {
    const network = recordingSend(undefined, 5);
    const { exporter } = exporterWith({ send: network.send });
    const results = await exportOnce(exporter, await realRecords(150));
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    // Core splits the batch into service-sized requests (at most 100 events each).
    expect(network.requests.map((r) => r.auditEvents.length)).toEqual([100, 50]);
    await exporter.shutdown();
  });

  it('calls back once with FAILED naming the counts when the service rejects some events', async () => {
    const network = recordingSend((data) => (data.eventName === 'E1' ? { errorCode: 'InvalidEventSource', errorMessage: 'nope' } : undefined));
    const { exporter, dead } = exporterWith({ send: network.send });
    const results = await exportOnce(exporter, await realRecords(3));
    expect(results).toHaveLength(1);
    expect(results[0]?.code).toBe(ExportResultCode.FAILED);
    expect(results[0]?.error?.message).toBe('auditlake: 1 of 3 log record(s) were dead-lettered (2 delivered, 0 not audit events)');
    expect(dead.codes()).toEqual(['InvalidEventSource']);
    await exporter.shutdown();
  });

  it('calls back once with FAILED when the call itself throws', async () => {
    const { exporter, dead } = exporterWith({
      send: () => Promise.reject(Object.assign(new Error('no such channel'), { name: 'ChannelNotFound' })),
    });
    const results = await exportOnce(exporter, await realRecords(2));
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED]);
    expect(results[0]?.error?.message).toMatch(/2 of 2/);
    expect(dead.codes()).toEqual(['ChannelNotFound', 'ChannelNotFound']);
    await exporter.shutdown();
  });

  it('never throws on hostile records, calls back exactly once, and accounts for every record', async () => {
    const network = recordingSend();
    const { exporter, dead } = exporterWith({ send: network.send });
    const [real] = await realRecords(1);
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const nested = {
      circular,
      big: 10n ** 30n,
      get explodes(): never {
        throw new Error('nested getter says no');
      },
    };
    const topLevelGetter = {
      audit: { eventName: 'TopLevelGetter' },
      'user.id': 'u',
      get explodes(): never {
        throw new Error('getter says no');
      },
    };
    // A record object whose own fields throw: what can be read is used, the rest left out.
    const noClock = {
      get hrTime(): never {
        throw new Error('no clock');
      },
      get resource(): never {
        throw new Error('no resource');
      },
      attributes: { audit: { eventName: 'NoClock', eventSource: 'given' }, 'user.id': 'u' },
    };
    const logs = [
      null,
      undefined,
      42,
      new Proxy({}, { get: () => { throw new Error('proxy'); } }),
      { ...real, resource: real!.resource, attributes: { audit: { eventName: 'Nested', requestParameters: nested }, 'user.id': 'u' } },
      { ...real, resource: real!.resource, attributes: topLevelGetter },
      noClock,
    ] as unknown as ReadableLogRecord[];
    let results: ExportResult[] | undefined;
    expect(() => {
      void exportOnce(exporter, logs).then((r) => (results = r));
    }).not.toThrow();
    await vi.waitFor(() => expect(results).toBeDefined());
    expect(results).toHaveLength(1);
    expect(results?.[0]?.code).toBe(ExportResultCode.FAILED);

    const sent = network.events();
    expect(sent.map((e) => e.eventName).sort()).toEqual(['Nested', 'NoClock']);
    expect(sent.find((e) => e.eventName === 'Nested')?.requestParameters).toEqual({
      circular: { name: 'loop', self: '[Circular]' },
      big: (10n ** 30n).toString(),
      explodes: '[Unserializable: nested getter says no]',
    });
    expect(sent.find((e) => e.eventName === 'NoClock')?.eventTime).toMatch(EVENT_TIME);
    // Core cannot read a record whose attribute getter throws: dead-lettered, not lost.
    expect(dead.letters.map((l) => [l.reason.code, l.reason.message])).toEqual([['InvalidData', 'the record could not be mapped: Error: getter says no']]);
    // The four unreadable entries cannot be audit events: skipped, and counted.
    expect(exporter.stats()).toMatchObject({ added: 7, skipped: 4, delivered: 2, deadLettered: { total: 1 } });
    await exporter.shutdown();
  });

  it('calls back once even when the callback itself throws', async () => {
    const quiet = quietDiagnostics();
    const exporter = new AuditLakeLogRecordExporter({ channelArn: CHANNEL_ARN, send: recordingSend().send, diagnostics: quiet.diagnostics });
    let calls = 0;
    exporter.export(await realRecords(1), () => {
      calls++;
      throw new Error('bad callback');
    });
    await exporter.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    expect(quiet.messages.some((m) => m.message.includes('bad callback'))).toBe(true);
    await exporter.shutdown();
  });

  it('dead-letters records exported after shutdown (Shutdown) and reports FAILED', async () => {
    const network = recordingSend();
    const { exporter, dead } = exporterWith({ send: network.send });
    await exporter.shutdown();
    const results = await exportOnce(exporter, await realRecords(1));
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED]);
    expect(dead.codes()).toEqual(['Shutdown']);
  });
});
