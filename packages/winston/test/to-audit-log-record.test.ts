import { describe, expect, it } from 'vitest';
import { toAuditLogRecord } from '../src/index.js';

const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');

describe('toAuditLogRecord (winston info)', () => {
  it('takes message, the uncoloured level, a parseable timestamp, and every other string key as an attribute', () => {
    const info = { level: '\u001b[32minfo\u001b[39m', message: 'hi', timestamp: '2026-01-02T03:04:05.678Z', audit: { eventName: 'E' }, n: 1, [LEVEL]: 'info', [MESSAGE]: '{"json":1}' };
    expect(toAuditLogRecord(info)).toEqual({ message: 'hi', severity: 'info', time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), attributes: { audit: { eventName: 'E' }, n: 1 } });
  });

  it('keeps a timestamp it cannot read as an attribute, and accepts numbers and Dates', () => {
    expect(toAuditLogRecord({ timestamp: 'teatime' })).toEqual({ attributes: { timestamp: 'teatime' } });
    expect(toAuditLogRecord({ timestamp: 1_000 }).time).toBe(1_000);
    expect(toAuditLogRecord({ timestamp: new Date(2_000) }).time).toBe(2_000);
  });

  it('renders a non-string message as JSON text and leaves an empty one out', () => {
    expect(toAuditLogRecord({ message: { a: 1n } }).message).toBe('{"a":"1"}');
    expect(toAuditLogRecord({ message: '' })).toEqual({ attributes: {} });
  });

  it('never throws: throwing getters are rendered, unreadable objects give no attributes', () => {
    const info = {
      level: 'info',
      get boom(): never {
        throw new Error('no');
      },
    };
    expect(toAuditLogRecord(info).attributes).toEqual({ boom: '[Unserializable: no]' });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('keys'); } });
    expect(toAuditLogRecord(proxy)).toEqual({ attributes: {} });
  });

  it('keeps an own "__proto__" key as a plain attribute', () => {
    const record = toAuditLogRecord(JSON.parse('{"__proto__":{"x":1}}') as object);
    expect(Object.getOwnPropertyDescriptor(record.attributes, '__proto__')?.value).toEqual({ x: 1 });
    expect(Object.getPrototypeOf(record.attributes)).toBe(Object.prototype);
  });
});
