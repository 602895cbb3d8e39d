import { describe, expect, it } from 'vitest';
import { toJsonSafe, utf8Bytes } from '../src/serialize.js';

describe('toJsonSafe', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const shared = { x: 1 };
  const error = Object.assign(new Error('boom', { cause: new TypeError('root') }), { code: 'E_BOOM', detail: 7n });
  const throwingGetter = Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('nope'); } });
  const hostileProxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
  const selfToJson = { toJSON() { return this; }, a: 1 };
  const throwingToJson = { toJSON() { throw new Error('no json'); } };
  let deep: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < 40; i++) deep = { next: deep };

  it.each([
    ['circular reference', circular, { name: 'loop', self: '[Circular]' }],
    ['shared, non-circular references render twice', { a: shared, b: shared }, { a: { x: 1 }, b: { x: 1 } }],
    ['bigint', { n: 12345678901234567890n }, { n: '12345678901234567890' }],
    ['Date', new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), '2026-01-02T03:04:05.006Z'],
    ['invalid Date', { d: new Date(Number.NaN) }, { d: null }],
    ['Error with code, cause and extra fields, no stack', error, { name: 'Error', message: 'boom', code: 'E_BOOM', cause: { name: 'TypeError', message: 'root' }, detail: '7' }],
    ['Buffer', Buffer.from('héllo'), Buffer.from('héllo').toString('base64')],
    ['Uint8Array view', new Uint8Array([1, 2, 3, 4]).subarray(1, 3), Buffer.from([2, 3]).toString('base64')],
    ['ArrayBuffer', new Uint8Array([255, 0]).buffer, '/wA='],
    ['Float64Array', new Float64Array([1.5, -2]), [1.5, -2]],
    ['BigInt64Array', new BigInt64Array([5n]), ['5']],
    ['Map', new Map<unknown, unknown>([['a', 1], [2, new Set([3])]]), { a: 1, '2': [3] }],
    ['undefined and functions leave objects', { u: undefined, f: () => 1, k: 1 }, { k: 1 }],
    ['undefined and functions are null in arrays', [undefined, () => 1, 1], [null, null, 1]],
    ['symbol values render, symbol keys drop', { s: Symbol('tag'), [Symbol('key')]: 1 }, { s: 'Symbol(tag)' }],
    ['non-finite numbers', [Number.NaN, Infinity, -Infinity, -0], [null, null, null, -0]],
    ['lone surrogates become U+FFFD (values and keys)', { ['k\uD800']: 'a\uDC00b' }, { 'k\uFFFD': 'a\uFFFDb' }],
    ['valid surrogate pairs stay', { emoji: '𝄞😀' }, { emoji: '𝄞😀' }],
    ['a throwing getter', throwingGetter, { ok: 1, bad: '[Unserializable: nope]' }],
    ['a proxy whose ownKeys throws', { p: hostileProxy }, { p: '[Unserializable: trap]' }],
    ['toJSON returning itself', selfToJson, { a: 1 }],
    ['toJSON that throws', { v: throwingToJson }, { v: '[Unserializable: no json]' }],
    ['top-level undefined', undefined, undefined],
  ])('%s', (_name, input, expected) => {
    expect(toJsonSafe(input)).toEqual(expected);
    // Whatever comes out, JSON can write it.
    expect(() => JSON.stringify(toJsonSafe(input))).not.toThrow();
  });

  it('cuts nesting below maxDepth', () => {
    const rendered = JSON.stringify(toJsonSafe(deep, 5));
    expect(rendered).toBe('{"next":{"next":{"next":{"next":{"next":"[MaxDepth]"}}}}}');
  });

  it('keeps a key named __proto__ as data, without touching the prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    const out = toJsonSafe(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives a 100,000-level nesting without a stack overflow', () => {
    let node: Record<string, unknown> = {};
    const root = node;
    for (let i = 0; i < 100_000; i++) node = node.c = {};
    expect(() => toJsonSafe(root)).not.toThrow();
  });
});

describe('utf8Bytes', () => {
  // Short texts are measured by writing them into a reused buffer, long ones by Buffer.byteLength:
  // both must count what goes on the wire, at the edge between them too (21,845 code units).
  const edge = 21_845;
  it.each([
    ['empty', ''],
    ['ASCII', 'abc'],
    ['two-, three- and four-byte characters', 'é€😀'],
    ['lone surrogates (written as U+FFFD, 3 bytes each)', 'a\uD800b\uDC00'],
    ['a pair split by the edge', `${'a'.repeat(edge - 1)}😀`],
    ['three-byte characters up to the edge', '€'.repeat(edge)],
    ['three-byte characters past the edge', '€'.repeat(edge + 1)],
    ['four-byte characters up to the edge', `${'😀'.repeat((edge - 1) / 2)}a`],
    ['a megabyte', 'x'.repeat(1_000_000)],
  ])('%s', (_name, text) => {
    expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
    // Twice: the reused buffer holds the last text, which must not change the next count.
    expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });
});
