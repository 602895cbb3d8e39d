import { describe, expect, it } from 'vitest';
import { toAuditLogRecord } from '../src/index.js';

const levels = { labels: { 10: 'trace', 30: 'info', 35: 'audit', 50: 'error' } };

describe('toAuditLogRecord (pino line)', () => {
  it('maps time, level label, messageKey, name and keeps every other key as an attribute', () => {
    const line = { level: 35, time: 1767322800123, pid: 7, hostname: 'h', name: 'svc', note: 'hi', audit: { eventName: 'E' } };
    expect(toAuditLogRecord(line, { levels, messageKey: 'note' })).toEqual({
      time: 1767322800123,
      severity: 'audit',
      message: 'hi',
      resource: { 'service.name': 'svc' },
      attributes: { pid: 7, hostname: 'h', audit: { eventName: 'E' } },
    });
  });

  it("reads pino's ISO time, keeps an unparseable one and an unknown level as given", () => {
    expect(toAuditLogRecord({ time: '2026-01-02T03:04:05.000Z', level: 99 }, { levels })).toEqual({ time: Date.UTC(2026, 0, 2, 3, 4, 5), severity: '99', attributes: {} });
    expect(toAuditLogRecord({ time: 'yesterday', level: 'loud' }).attributes).toEqual({ time: 'yesterday' });
  });

  it('feeds error.type / exception.message from the error key unless they are given', () => {
    const err = { type: 'TypeError', message: 'bad', stack: 's' };
    expect(toAuditLogRecord({ err }).attributes).toEqual({ err, 'error.type': 'TypeError', 'exception.message': 'bad' });
    expect(toAuditLogRecord({ failure: err, 'error.type': 'Given' }, { errorKey: 'failure' }).attributes).toEqual({
      failure: err,
      'error.type': 'Given',
      'exception.message': 'bad',
    });
  });

  it('renders a non-string message as JSON text and leaves a non-string name an attribute', () => {
    const record = toAuditLogRecord({ msg: { a: [1, 2n] }, name: { not: 'text' } });
    expect(record.message).toBe('{"a":[1,"2"]}');
    expect(record.resource).toBeUndefined();
    expect(record.attributes).toEqual({ name: { not: 'text' } });
  });

  it('keeps a parsed "__proto__" key as a plain attribute, never as a prototype', () => {
    const record = toAuditLogRecord(JSON.parse('{"__proto__":{"polluted":true},"level":30}') as Record<string, unknown>);
    expect(Object.getOwnPropertyDescriptor(record.attributes, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(record.attributes)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
