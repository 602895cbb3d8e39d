import { Severity } from './severity.js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { toAuditLogRecord } from '../src/index.js';

const base = { hrTime: [1_767_322_800, 123_000_000], hrTimeObserved: [1_767_322_900, 0], attributes: {}, resource: resourceFromAttributes({ 'service.name': 'svc' }) };
const record = (fields: Record<string, unknown>) => toAuditLogRecord({ ...base, ...fields } as unknown as ReadableLogRecord);

describe('toAuditLogRecord (OTel log record)', () => {
  it('converts time, severity, event name, attributes, resource and span ids', () => {
    const attributes = { audit: { eventName: 'E' } };
    expect(
      record({ severityText: 'notice', severityNumber: Severity.WARN, eventName: 'ev', body: 'text', attributes, spanContext: { traceId: 't', spanId: 's', traceFlags: 1 } }),
    ).toEqual({
      time: 1_767_322_800_123,
      severity: 'notice',
      eventName: 'ev',
      message: 'text',
      attributes,
      resource: expect.objectContaining({ 'service.name': 'svc' }) as unknown,
      traceId: 't',
      spanId: 's',
    });
  });

  it('falls back to the observed time and to the SeverityNumber name', () => {
    expect(record({ hrTime: [0, 0], severityNumber: Severity.ERROR3 })).toMatchObject({ time: 1_767_322_900_000, severity: 'ERROR3' });
    expect(record({ severityNumber: Severity.UNSPECIFIED }).severity).toBeUndefined();
  });

  it('renders non-string bodies as JSON text', () => {
    expect(record({ body: { a: [1, { b: true }] } }).message).toBe('{"a":[1,{"b":true}]}');
    expect(record({ body: 42 }).message).toBe('42');
    expect(record({ body: new Uint8Array([1, 2, 3]) }).message).toBe('"AQID"');
    expect(record({ body: null }).message).toBeUndefined();
  });

  it('never throws: what cannot be read is left out', () => {
    expect(toAuditLogRecord(null as unknown as ReadableLogRecord)).toEqual({});
    const hostile = {
      ...base,
      get attributes(): never {
        throw new Error('no');
      },
      get spanContext(): never {
        throw new Error('no');
      },
    };
    expect(toAuditLogRecord(hostile as unknown as ReadableLogRecord)).toEqual({ time: 1_767_322_800_123, resource: expect.any(Object) as unknown });
  });
});
