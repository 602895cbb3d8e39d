import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeEventData } from '../src/event-data-text.js';

const base = { version: '1.0', userIdentity: { type: 't', principalId: 'p' }, eventSource: 's', eventName: 'n', eventTime: '2026-01-01T00:00:00Z', UID: 'u', recipientAccountId: '123456789012' };
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

afterEach(() => {
  vi.restoreAllMocks();
});

/** How often `value` was serialized on its own during `run`. */
function serializationsOf(value: object, run: () => void): number {
  const stringify = vi.spyOn(JSON, 'stringify');
  run();
  const count = stringify.mock.calls.filter(([argument]) => argument === value).length;
  stringify.mockRestore();
  return count;
}

describe('writeEventData', () => {
  it('measures nothing in a text too short for any field to be over its cap', () => {
    const data = { ...base, requestParameters: { x: 'é'.repeat(9_400) } };
    expect(writeEventData(data)).toEqual({ json: JSON.stringify(data), bytes: bytes(data), fieldBytes: undefined });
    expect(writeEventData({ ...base })).toEqual({ json: JSON.stringify(base), bytes: undefined, fieldBytes: undefined });
  });

  it('an event over 100,000 bytes with one large field measures only the small field: the rest bounds the large one', () => {
    const requestParameters = { x: 'r'.repeat(99_500) };
    const additionalEventData = { message: 'm'.repeat(500) };
    const data = { ...base, requestParameters, additionalEventData };
    let written!: ReturnType<typeof writeEventData>;
    expect(serializationsOf(requestParameters, () => (written = writeEventData(data)))).toBe(0);
    expect(written.bytes).toBeGreaterThan(100_000);
    expect(written.fieldBytes!.additionalEventData).toBe(bytes(additionalEventData));
    expect(written.fieldBytes!.requestParameters).toBeGreaterThanOrEqual(bytes(requestParameters));
    expect(written.fieldBytes!.requestParameters).toBeLessThanOrEqual(100_000);
  });

  it.each([
    ['one field just over its cap', { requestParameters: { x: 'r'.repeat(99_993) } }, { requestParameters: 100_001 }],
    ['two large fields, one over', { requestParameters: { x: '€'.repeat(33_331) }, responseElements: { y: 'q'.repeat(60_000) } }, { requestParameters: 100_001 }],
    ['two large fields, neither over', { requestParameters: { x: 'r'.repeat(60_000) }, responseElements: { y: 'q'.repeat(60_000) } }, {}],
    ['additionalEventData over in three-byte characters', { additionalEventData: { x: '€'.repeat(9_332) } }, { additionalEventData: 28_004 }],
  ])('%s: every field that is over its cap is measured exactly', (_name, fields, over) => {
    const data: Record<string, unknown> = { ...base, ...fields };
    const { fieldBytes } = writeEventData(data);
    for (const field of ['requestParameters', 'responseElements', 'additionalEventData'] as const) {
      if (data[field] === undefined) continue;
      const size = bytes(data[field]);
      const cap = field === 'additionalEventData' ? 28_000 : 100_000;
      if (field in over) expect(fieldBytes?.[field]).toBe((over as Record<string, number>)[field]);
      else if (fieldBytes?.[field] !== undefined) {
        expect(fieldBytes[field]).toBeGreaterThanOrEqual(size);
        expect(fieldBytes[field] <= cap || fieldBytes[field] === size).toBe(true);
      }
      expect(size > cap).toBe(field in over);
    }
  });
});
