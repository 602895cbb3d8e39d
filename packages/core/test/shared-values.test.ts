import { describe, expect, it } from 'vitest';
import { createRecordMapper, type AuditLogRecord } from '../src/index.js';
import { createRecordEncoder } from '../src/internal.js';
import { isJsonShaped, mayHoldLoneSurrogate, toJsonSafe } from '../src/serialize.js';

/** What the encoder serializes as it is: shaped, and without a lone surrogate in its text. */
const writtenAsIs = (value: unknown, maxDepth?: number) => isJsonShaped(value, maxDepth) && !mayHoldLoneSurrogate(JSON.stringify(value) ?? '');

/**
 * The sink's encoder serializes values that need no rendering as they are, without the deep
 * copy the public mapper makes. Both must write the same text, and neither may change the
 * caller's objects.
 */
const options = { recipientAccountId: '123456789012', now: () => Date.UTC(2026, 0, 2, 3, 4, 5) };

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('serialized as it is, or rendered first', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 40; i++) deep = { d: deep };
  const throwing = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } });
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  it.each<[string, boolean, () => unknown]>([
    ['a plain tree of strings, numbers, booleans and null', true, () => ({ a: 'x', b: [1, 2.5, -0, true, null, { c: 'é😀' }], n: Number.NaN })],
    ['undefined members and array holes', true, () => ({ a: undefined, b: [undefined, , 3] })], // eslint-disable-line no-sparse-arrays
    ['an object without a prototype', true, () => Object.assign(Object.create(null) as object, { a: 1 })],
    ['a key named __proto__ as data', true, () => JSON.parse('{"__proto__":{"x":1}}')],
    ['a lone surrogate in a value', false, () => ({ a: 'x\uD800' })],
    ['a lone surrogate in a key', false, () => ({ ['k\uDFFF']: 1 })],
    ['a bigint', false, () => ({ a: 1n })],
    ['a symbol', false, () => ({ a: Symbol('s') })],
    ['a function', false, () => ({ a: () => 1 })],
    ['a Date', false, () => ({ a: new Date(0) })],
    ['an Error', false, () => ({ a: new Error('e') })],
    ['a Map', false, () => ({ a: new Map() })],
    ['a Buffer', false, () => ({ a: Buffer.from('x') })],
    ['a class instance', false, () => ({ a: new Point(1, 2) })],
    ['an own toJSON', false, () => ({ toJSON: () => 'x' })],
    ['an array with a toJSON', false, () => Object.assign([1], { toJSON: () => 'x' })],
    ['an object posing as an array', false, () => Object.create(Array.prototype) as object],
    ['a cycle', false, () => circular],
    ['nesting at maxDepth', false, () => deep],
    ['a getter that throws', false, () => throwing],
    ['a revoked proxy', false, () => revoked.proxy],
  ])('%s → %s', (_name, expected, make) => {
    const value = make();
    expect(writtenAsIs(value)).toBe(expected);
    // Where it says "as it is", JSON.stringify writes exactly the rendered copy.
    if (expected) expect(JSON.stringify(value)).toBe(JSON.stringify(toJsonSafe(value)));
  });

  it('counts depth as toJsonSafe does: an object at depth maxDepth - 1 is still written as it is', () => {
    let tree: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 31; i++) tree = { d: tree };
    expect(writtenAsIs(tree, 32)).toBe(true);
    expect(writtenAsIs({ d: tree }, 32)).toBe(false);
    expect(JSON.stringify(toJsonSafe({ d: tree }, 32))).toContain('[MaxDepth]');
  });

  it('an inherited enumerable key (a patched prototype) is checked, never trusted', () => {
    (Object.prototype as Record<string, unknown>).polluted = 1n;
    try {
      expect(writtenAsIs({ a: 1 })).toBe(false);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});

describe('the encoder writes the same text as the copying mapper', () => {
  const encode = createRecordEncoder(options);
  const map = createRecordMapper(options);
  const records: [string, AuditLogRecord][] = [
    ['a plain record with context', {
      message: 'signed in', severity: 'INFO', traceId: 't'.repeat(32), spanId: 's'.repeat(16),
      attributes: { audit: { eventName: 'SignIn', eventSource: 'auth', userIdentity: { principalId: 'p', details: { a: [1, { b: null }] } }, requestParameters: { q: 'x', u: undefined } }, 'http.route': '/login', tenant: { id: 3 } },
    }],
    ['identity with undefined members in odd order', { attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { details: {}, type: undefined, principalId: 'p' } } } }],
    ['given additionalEventData with an undefined member', { message: 'm', attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' }, additionalEventData: { message: undefined, k: 1 } } } }],
    ['values that need rendering', { attributes: { audit: { eventName: 'E\uD800', eventSource: 's', userIdentity: { principalId: 'p' }, requestParameters: { when: new Date(0), big: 5n, err: new Error('x') } }, other: new Map([[1, 2]]) } }],
    ['a function where a field is', { attributes: { audit: { eventName: () => 'x', eventSource: 's', userIdentity: { principalId: 'p' }, requestParameters: () => 1 }, 'event.name': 'fallback' } }],
    ['an over-long principalId and an unknown key', { attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p'.repeat(1100) }, extra: { a: 1 } } } }],
  ];
  it.each(records)('%s', (_name, record) => {
    // UID is a new UUID in each.
    const text = (json: string | undefined) => json?.replace(/"UID":"[^"]*"/, '"UID":""');
    expect(text(encode(record)?.json)).toBe(text(JSON.stringify(map(record))));
  });

  it('never changes the caller’s objects, and leaves nothing of ours in them', () => {
    const identity = { principalId: 'p'.repeat(1100) };
    const given = { ticket: 7 };
    const requestParameters = { role: 'admin', list: [1, 2] };
    const audit = { eventName: 'E', eventSource: 's', userIdentity: identity, additionalEventData: given, requestParameters };
    const record: AuditLogRecord = { message: 'm', attributes: { audit, tenant: 'acme' } };
    const before = structuredClone(record);
    const encoded = encode(record);
    expect(record).toEqual(before);
    expect(Object.keys(identity)).toEqual(['principalId']);
    expect(JSON.parse(encoded!.json).additionalEventData.truncated.userIdentity.principalId).toBe(identity.principalId);
  });

  it('a value that changes under serialization (a getter) is rendered again, never thrown', () => {
    let reads = 0;
    const shifty = { get v(): unknown { return reads++ === 0 ? 1 : 2n; } };
    const record: AuditLogRecord = { attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' }, requestParameters: shifty as unknown as Record<string, unknown> } } };
    let json: string | undefined;
    expect(() => (json = encode(record)?.json)).not.toThrow();
    expect(JSON.parse(json!).requestParameters.v).toMatch(/^\d+$/);
  });
});

describe('well-formedness checked once, on the text', () => {
  it('JSON.stringify writes every lone surrogate so that the text shows it, and a pair so that it does not', () => {
    for (let unit = 0xd800; unit <= 0xdfff; unit++) {
      const lone = String.fromCharCode(unit);
      expect(mayHoldLoneSurrogate(JSON.stringify({ [lone]: 1 }))).toBe(true);
      expect(mayHoldLoneSurrogate(JSON.stringify({ a: `x${lone}y` }))).toBe(true);
    }
    expect(mayHoldLoneSurrogate(JSON.stringify({ a: '\uD83D\uDE00 é € \u0000 "q" C:\\dir' }))).toBe(false);
  });

  it('isJsonShaped leaves the strings to the text', () => {
    expect(isJsonShaped({ ['k\uDFFF']: 'x\uD800' })).toBe(true);
    expect(writtenAsIs({ ['k\uDFFF']: 'x\uD800' })).toBe(false);
    for (const value of [{ a: 1n }, { a: new Date(0) }, { toJSON: () => 'x' }, { a: Symbol('s') }]) expect(isJsonShaped(value)).toBe(false);
  });
});
