import { describe, expect, it } from 'vitest';
import { createAuditSink, type AuditLogRecord } from '../src/index.js';
import { auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics, recordingSend } from './helpers.js';

/**
 * Bad and hostile records, each with the one outcome it must have. `add()` must never throw,
 * and every record must be accounted for.
 */
const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
let deep: Record<string, unknown> = { bottom: true };
for (let i = 0; i < 10_000; i++) deep = { d: deep };
const throwingAttributes = Object.defineProperty({}, 'audit', { enumerable: true, get: () => { throw new Error('getter exploded'); } });
const trappedAttributes = new Proxy({}, { ownKeys: () => { throw new Error('ownKeys trap'); }, get: () => undefined });
const manyKeys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));

/** A text over its cap, delivered cut to the cap with the marker, its full text kept beside. */
function expectCut(value: string, cap: number, full: string): void {
  expect(value).toHaveLength(cap);
  expect(value).toMatch(/…\[truncated \d+ chars\]$/);
  expect(full.length).toBeGreaterThan(cap);
  expect(full.startsWith(value.slice(0, value.indexOf('…[')))).toBe(true);
}

/** 'delivered', 'skipped', or the dead-letter code. */
type Outcome = string;
const corpus: [string, unknown, Outcome, ((eventData: Record<string, any>) => void)?][] = [
  ['a minimal valid record', auditRecord(1), 'delivered'],
  ['no attributes at all', { message: 'hello' }, 'skipped'],
  ['audit given as a string', { attributes: { audit: 'yes' } }, 'skipped'],
  ['null instead of a record', null, 'skipped'],
  ['a number instead of a record', 42, 'skipped'],
  ['missing principalId', auditRecord(1, { userIdentity: {} }), 'FieldNotFound'],
  ['missing eventName', auditRecord(1, { eventName: undefined }), 'FieldNotFound'],
  ['missing eventSource', auditRecord(1, { eventSource: null }), 'FieldNotFound'],
  ['eventName of 1,025 characters (cut, full text kept)', auditRecord(1, { eventName: 'n'.repeat(1025) }), 'delivered', (d) => expectCut(d.eventName, 1024, d.additionalEventData.truncated.eventName)],
  ['principalId of 1,025 characters', auditRecord(1, { userIdentity: { principalId: 'p'.repeat(1025) } }), 'delivered', (d) => expectCut(d.userIdentity.principalId, 1024, d.additionalEventData.truncated.userIdentity.principalId)],
  ['version of 257 characters', auditRecord(1, { version: 'v'.repeat(257) }), 'delivered', (d) => expectCut(d.version, 256, d.additionalEventData.truncated.version)],
  ['userIdentity.type of 129 characters', auditRecord(1, { userIdentity: { principalId: 'p', type: 't'.repeat(129) } }), 'delivered', (d) => expectCut(d.userIdentity.type, 128, d.additionalEventData.truncated.userIdentity.type)],
  ['userAgent of 1,025 characters', auditRecord(1, { userAgent: 'u'.repeat(1025) }), 'delivered', (d) => expectCut(d.userAgent, 1024, d.additionalEventData.truncated.userAgent)],
  ['errorCode of 257 characters', auditRecord(1, { errorCode: 'e'.repeat(257) }), 'delivered', (d) => expectCut(d.errorCode, 256, d.additionalEventData.truncated.errorCode)],
  ['errorMessage of 257 characters', auditRecord(1, { errorMessage: 'm'.repeat(257) }), 'delivered', (d) => expectCut(d.errorMessage, 256, d.additionalEventData.truncated.errorMessage)],
  ['UID of 1,025 characters', auditRecord(1, { UID: 'i'.repeat(1025) }), 'delivered', (d) => expectCut(d.UID, 1024, d.additionalEventData.truncated.UID)],
  ['requestParameters of 100,001 bytes', auditRecord(1, { requestParameters: { x: 'r'.repeat(99_993) } }), 'FieldTooLong'],
  ['responseElements of 300 kB', auditRecord(1, { responseElements: { x: 'r'.repeat(300_000) } }), 'FieldTooLong'],
  ['additionalEventData of 30 kB', auditRecord(1, { additionalEventData: { x: 'a'.repeat(30_000) } }), 'FieldTooLong'],
  ['additionalEventData of 28,004 bytes in 9,332 three-byte characters', auditRecord(1, { additionalEventData: { x: '€'.repeat(9_332) } }), 'FieldTooLong'],
  ['additionalEventData of exactly 28,000 bytes', auditRecord(1, { additionalEventData: { x: 'a'.repeat(27_992) } }), 'delivered', (d) => expect(d.additionalEventData.x).toHaveLength(27_992)],
  ['requestParameters of exactly 100,000 bytes (the event is larger)', auditRecord(1, { requestParameters: { x: 'r'.repeat(99_992) } }), 'delivered', (d) => expect(d.requestParameters.x).toHaveLength(99_992)],
  ['requestParameters of 100,001 bytes in three-byte characters', auditRecord(1, { requestParameters: { x: '€'.repeat(33_331) } }), 'FieldTooLong'],
  ['an eventTime in words', auditRecord(1, { eventTime: 'yesterday at noon' }), 'InvalidData'],
  ['an eventTime on February 30th', auditRecord(1, { eventTime: '2026-02-30T10:00:00Z' }), 'InvalidData'],
  ['an eventTime as an object', auditRecord(1, { eventTime: { when: 'now' } }), 'InvalidData'],
  ['an eventTime as epoch ms', auditRecord(1, { eventTime: 1_700_000_000_000 }), 'delivered', (d) => expect(d.eventTime).toBe('2023-11-14T22:13:20Z')],
  ['a recipient of another account', auditRecord(1, { recipientAccountId: '999999999999' }), 'InvalidRecipient'],
  ['a recipient that is not an account id', auditRecord(1, { recipientAccountId: 'me' }), 'InvalidData'],
  ['a source IP that is a hostname', auditRecord(1, { sourceIPAddress: 'evil.example' }), 'InvalidData'],
  ['userIdentity as a string', auditRecord(1, { userIdentity: 'alice' }), 'InvalidData'],
  ['requestParameters as an array', auditRecord(1, { requestParameters: ['a'] }), 'InvalidData'],
  ['eventName as an object', auditRecord(1, { eventName: { name: 'x' } }), 'InvalidData'],
  ['a misspelled schema field', auditRecord(1, { evenName: 'typo' }), 'InvalidData'],
  ['10,000 unknown keys in audit', { attributes: { audit: { ...manyKeys, eventName: 'x' } } }, 'InvalidData'],
  ['a getter on the attributes that throws', { attributes: throwingAttributes }, 'InvalidData'],
  ['attributes behind a hostile proxy', { attributes: trappedAttributes }, 'InvalidData'],
  ['a circular requestParameters', auditRecord(1, { requestParameters: circular }), 'delivered', (d) => expect(d.requestParameters).toEqual({ a: 1, self: '[Circular]' })],
  ['BigInt and Buffer values', auditRecord(1, { requestParameters: { big: 2n ** 70n, bytes: Buffer.from('hi') } }), 'delivered', (d) => expect(d.requestParameters).toEqual({ big: '1180591620717411303424', bytes: 'aGk=' })],
  ['an Error as responseElements value', auditRecord(1, { responseElements: { error: new RangeError('too far') } }), 'delivered', (d) => expect(d.responseElements.error).toEqual({ name: 'RangeError', message: 'too far' })],
  ['10,000 levels of nesting', auditRecord(1, { requestParameters: deep }), 'delivered', (d) => expect(JSON.stringify(d.requestParameters)).toContain('[MaxDepth]')],
  ['non-BMP unicode everywhere', auditRecord(1, { eventName: '𝔘𝔭𝔡𝔞𝔱𝔢 😀', userIdentity: { principalId: '用户-𝄞' } }), 'delivered', (d) => expect(d.userIdentity.principalId).toBe('用户-𝄞')],
  ['lone surrogates in values and keys', auditRecord(1, { eventName: 'bad\uD800name', requestParameters: { ['k\uDFFF']: '\uDC00', pair: '\uD83D\uDE00' } }), 'delivered', (d) => {
    expect(d.eventName).toBe('bad\uFFFDname');
    expect(d.requestParameters).toEqual({ ['k\uFFFD']: '\uFFFD', pair: '😀' });
  }],
  ['lone surrogates in the log\'s context', { ...auditRecord(1), message: 'm\uD800', attributes: { ...auditRecord(1).attributes, ['a\uDC00']: 'v\uDBFF', tenant: 'acme' } }, 'delivered', (d) => {
    expect(d.additionalEventData.message).toBe('m\uFFFD');
    expect(d.additionalEventData.attributes).toEqual({ ['a\uFFFD']: 'v\uFFFD', tenant: 'acme' });
  }],
  ['lone surrogates in the texts the mapper reads one by one', {
    time: Date.UTC(2026, 10, 25, 12, 0, 0),
    eventName: 'Sign\uDC00In',
    severity: 'INFO\uD800',
    traceId: 'tr\uDFFF',
    spanId: 'sp\uD800',
    attributes: { audit: { eventSource: 'auth.example.com', userIdentity: { type: 't\uDC00', principalId: 'p\uD800' } }, 'user_agent.original': 'ua\uD800', 'client.address': '192.0.2.1' },
  }, 'delivered', (d) => {
    expect(d.eventName).toBe('Sign\uFFFDIn');
    expect(d.userIdentity).toEqual({ type: 't\uFFFD', principalId: 'p\uFFFD' });
    expect(d.userAgent).toBe('ua\uFFFD');
    expect(d.additionalEventData).toMatchObject({ severity: 'INFO\uFFFD', traceId: 'tr\uFFFD', spanId: 'sp\uFFFD' });
  }],
  ['a backslash-u-d in a text (no surrogate)', auditRecord(1, { requestParameters: { path: 'C:\\udir\\ud800' } }), 'delivered', (d) => expect(d.requestParameters.path).toBe('C:\\udir\\ud800')],
  ['control characters and quotes', auditRecord(1, { eventName: 'a"b\\c\u0000\n' }), 'delivered', (d) => expect(d.eventName).toBe('a"b\\c\u0000\n')],
  ['a 1 MB log message (context left out, event kept)', auditRecord(1, {}, { message: 'm'.repeat(1_000_000) }), 'delivered', (d) => expect(d.additionalEventData.contextOmitted).toBe(1)],
  ['identity details of 2 MB (no request could carry it)', auditRecord(1, { userIdentity: { principalId: 'p', details: { blob: 'x'.repeat(2_000_000) } } }), 'EventTooLarge'],
  ['undefined and symbol values', auditRecord(1, { requestParameters: { u: undefined, s: Symbol('s'), f: () => 1 } }), 'delivered', (d) => expect(d.requestParameters).toEqual({ s: 'Symbol(s)' })],
];

describe('a corpus of bad and hostile records', () => {
  it('has at least 30 bad or hostile cases', () => {
    expect(corpus.slice(1).length).toBeGreaterThanOrEqual(30);
  });

  const cases = corpus.map(([name, record, outcome, check]) => ({ name, outcome, run: () => ({ record, check }) }));
  it.each(cases)('$name → $outcome', async ({ outcome, run }) => {
    const { record, check } = run();
    const recorder = recordingSend();
    const dead = deadLetters();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: recorder.send, deadLetter: dead.handler, diagnostics: quietDiagnostics().diagnostics });
    expect(() => sink.add(record as AuditLogRecord)).not.toThrow();
    await sink.flush();
    const stats = sink.stats();
    expectInvariant(stats);
    if (outcome === 'delivered') {
      expect(stats.delivered).toBe(1);
      check?.(JSON.parse(recorder.calls[0]!.auditEvents[0]!.eventData) as Record<string, any>);
    } else if (outcome === 'skipped') {
      expect(stats.skipped).toBe(1);
    } else {
      expect(dead.codes()).toEqual([outcome]);
      expect(dead.letters[0]!.reason.message.length).toBeGreaterThan(0);
      expect(dead.letters[0]!.attempts).toBe(0);
      expect(recorder.calls).toHaveLength(0);
    }
    await sink.shutdown();
  });
});
