import { describe, expect, it } from 'vitest';
import { createRecordMapper, mapAuditRecord, type AuditLogRecord, type MapAuditRecordOptions } from '../src/index.js';

const NOW = Date.UTC(2026, 10, 25, 8, 30, 15, 999);
const options: MapAuditRecordOptions = { recipientAccountId: '123456789012', now: () => NOW };
const map = (record: AuditLogRecord, extra: MapAuditRecordOptions = {}) => mapAuditRecord(record, { ...options, ...extra }) as unknown as Record<string, any>;

describe('which records are audit events', () => {
  it.each([
    ['no attributes', {}],
    ['attributes without audit', { attributes: { user: 'x', 'auditing.x': 1 } }],
    ['audit is a string', { attributes: { audit: 'yes' } }],
    ['audit is true', { attributes: { audit: true } }],
    ['audit is null', { attributes: { audit: null } }],
    ['audit is an array', { attributes: { audit: [1, 2] } }],
    ['a key that is exactly "audit."', { attributes: { 'audit.': 1 } }],
    ['attributes is not an object', { attributes: 'x' as unknown as Record<string, unknown> }],
  ])('%s → not an audit event', (_name, record) => {
    expect(mapAuditRecord(record as AuditLogRecord, options)).toBeUndefined();
  });

  it('an empty audit object is an audit event (fallbacks fill it)', () => {
    expect(mapAuditRecord({ attributes: { audit: {} } }, options)).toBeDefined();
  });
});

describe('the audit namespace', () => {
  it('nested and flat keys mean the same; flat keys win on a clash', () => {
    const nested = map({ attributes: { audit: { eventName: 'A', userIdentity: { principalId: 'p1', type: 'T' } } } });
    const flat = map({ attributes: { 'audit.eventName': 'A', 'audit.userIdentity.principalId': 'p1', 'audit.userIdentity.type': 'T' } });
    expect({ ...flat, UID: 0 }).toEqual({ ...nested, UID: 0 });
    const both = map({ attributes: { audit: { eventName: 'nested' }, 'audit.eventName': 'flat' } });
    expect(both.eventName).toBe('flat');
  });

  it('writes every schema field given, in schema order', () => {
    const data = map({
      attributes: {
        audit: {
          eventName: 'UpdateRole', eventSource: 'iam.example', eventTime: '2026-01-02T03:04:05Z', UID: 'req-1', version: '2',
          userIdentity: { type: 'Employee', principalId: 'alice', details: { team: 'ops' } }, userAgent: 'curl/8',
          sourceIPAddress: '10.0.0.1', requestParameters: { role: 'admin' }, responseElements: { ok: true },
          errorCode: 'Denied', errorMessage: 'no', additionalEventData: { ticket: 7 }, recipientAccountId: '123456789012',
        },
      },
    });
    expect(Object.keys(data)).toEqual([
      'version', 'userIdentity', 'userAgent', 'eventSource', 'eventName', 'eventTime', 'UID', 'requestParameters',
      'responseElements', 'errorCode', 'errorMessage', 'sourceIPAddress', 'recipientAccountId', 'additionalEventData',
    ]);
    expect(data.userIdentity).toEqual({ type: 'Employee', principalId: 'alice', details: { team: 'ops' } });
    expect(data.additionalEventData).toEqual({ ticket: 7 });
  });

  it("writes userIdentity's fields in schema order whatever the given order, and the others after them", () => {
    const data = map({ attributes: { audit: { eventName: 'A', userIdentity: { details: { team: 'ops' }, extra: 1, principalId: 'p1' } } } });
    expect(Object.keys(data.userIdentity as object)).toEqual(['type', 'principalId', 'details', 'extra']);
    const flat = map({ attributes: { 'audit.eventName': 'A', 'audit.userIdentity.principalId': 'p1', 'audit.userIdentity.type': 'T' } });
    expect(Object.keys(flat.userIdentity as object)).toEqual(['type', 'principalId']);
  });

  it('keeps keys outside the schema so that validation can name them', () => {
    expect(map({ attributes: { audit: { evenName: 'typo' } } }).evenName).toBe('typo');
  });

  it('writes numbers and booleans given for string fields as strings', () => {
    const data = map({ attributes: { audit: { eventName: 42, userIdentity: { principalId: 1001 }, version: 2, UID: true } } });
    expect([data.eventName, data.userIdentity.principalId, data.version, data.UID]).toEqual(['42', '1001', '2', 'true']);
  });

  it('does not touch the caller’s objects', () => {
    const audit = { eventName: 'X', requestParameters: { password: 'secret' } };
    const record = { attributes: { audit, 'audit.userIdentity.principalId': 'p' } };
    map(record, { redact: ['requestParameters.password'] });
    expect(audit).toEqual({ eventName: 'X', requestParameters: { password: 'secret' } });
  });
});

describe('fallbacks (first match wins)', () => {
  const base = { audit: {} };
  it.each([
    ['eventName ← the record’s eventName', { eventName: 'Emitted', attributes: { ...base, 'event.name': 'attr' } }, 'eventName', 'Emitted'],
    ['eventName ← attribute event.name', { attributes: { ...base, 'event.name': 'attr' } }, 'eventName', 'attr'],
    ['eventName ← nested attribute event.name', { attributes: { ...base, event: { name: 'nested' } } }, 'eventName', 'nested'],
    ['eventSource ← resource service.name', { attributes: base, resource: { 'service.name': 'billing' } }, 'eventSource', 'billing'],
    ['userAgent ← user_agent.original', { attributes: { ...base, 'user_agent.original': 'Mozilla' } }, 'userAgent', 'Mozilla'],
    ['sourceIPAddress ← client.address', { attributes: { ...base, 'client.address': '2001:db8::1' } }, 'sourceIPAddress', '2001:db8::1'],
    ['errorCode ← error.type', { attributes: { ...base, 'error.type': 'Timeout' } }, 'errorCode', 'Timeout'],
    ['errorMessage ← exception.message', { attributes: { ...base, 'exception.message': 'went wrong' } }, 'errorMessage', 'went wrong'],
    ['version ← default 1.0', { attributes: base }, 'version', '1.0'],
    ['recipientAccountId ← option', { attributes: base }, 'recipientAccountId', '123456789012'],
  ])('%s', (_name, record, field, expected) => {
    expect(map(record as AuditLogRecord)[field]).toBe(expected);
  });

  it('eventSource: the option beats the resource; the record beats both', () => {
    expect(map({ attributes: base, resource: { 'service.name': 'res' } }, { eventSource: 'opt' }).eventSource).toBe('opt');
    expect(map({ attributes: { audit: { eventSource: 'rec' } }, resource: { 'service.name': 'res' } }, { eventSource: 'opt' }).eventSource).toBe('rec');
  });

  it('principalId ← user.id, then enduser.id, flat or nested', () => {
    expect(map({ attributes: { ...base, 'user.id': 'u', 'enduser.id': 'e' } }).userIdentity.principalId).toBe('u');
    expect(map({ attributes: { ...base, 'enduser.id': 'e' } }).userIdentity.principalId).toBe('e');
    expect(map({ attributes: { ...base, user: { id: 7 } } }).userIdentity.principalId).toBe('7');
    expect(map({ attributes: { audit: { userIdentity: { details: { a: 1 } } }, 'user.id': 'u' } }).userIdentity).toEqual({ details: { a: 1 }, type: 'CustomUserIdentity', principalId: 'u' });
  });

  it('userIdentity.type ← option, else CustomUserIdentity', () => {
    expect(map({ attributes: base }).userIdentity.type).toBe('CustomUserIdentity');
    expect(map({ attributes: base }, { userIdentityType: 'Employee' }).userIdentity.type).toBe('Employee');
  });

  it('makes every text it reads well-formed (the mapper returns a tree of its own, checked nowhere else)', () => {
    const data = map({
      eventName: 'Sign\uDC00In',
      severity: 'INFO\uD800',
      traceId: 't\uDFFF',
      attributes: { audit: { userIdentity: { type: 'ty\uD800' }, errorCode: 'E\uDC00' }, 'user.id': 'u\uD800', 'user_agent.original': 'ua\uDFFF' },
    });
    expect(data).toMatchObject({ eventName: 'Sign\uFFFDIn', userIdentity: { type: 'ty\uFFFD', principalId: 'u\uFFFD' }, errorCode: 'E\uFFFD', userAgent: 'ua\uFFFD' });
    expect(data.additionalEventData).toMatchObject({ severity: 'INFO\uFFFD', traceId: 't\uFFFD' });
  });

  it('ignores fallback attributes that are not scalars', () => {
    expect(map({ attributes: { ...base, 'user.id': { nested: true } } }).userIdentity.principalId).toBeUndefined();
  });

  it('UID is new and unique per event unless given', () => {
    const uids = new Set(Array.from({ length: 1000 }, () => map({ attributes: base }).UID));
    expect(uids.size).toBe(1000);
    // Version 4 UUIDs, across several batches of random bytes.
    for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const digits = [...uids].join('').replaceAll('-', '');
    for (const digit of '0123456789abcdef') expect(digits).toContain(digit);
    expect(map({ attributes: { audit: { UID: 'mine' } } }).UID).toBe('mine');
  });
});

describe('eventTime', () => {
  it.each([
    ['now when the record has no time', {}, '2026-11-25T08:30:15Z'],
    ['the record’s Date', { time: new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)) }, '2024-02-29T23:59:59Z'],
    ['the record’s epoch ms', { time: Date.UTC(2020, 0, 1) }, '2020-01-01T00:00:00Z'],
    ['an invalid record time falls back to now', { time: Number.NaN }, '2026-11-25T08:30:15Z'],
  ])('%s', (_name, extra, expected) => {
    expect(map({ attributes: { audit: {} }, ...extra }).eventTime).toBe(expected);
  });

  it.each([
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'],
    ['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05Z'],
    ['2026-01-02T05:04:05+02:00', '2026-01-02T03:04:05Z'],
    ['2026-01-02 03:04:05', '2026-01-02T03:04:05Z'],
    ['2026-01-02T03:04', '2026-01-02T03:04:00Z'],
    ['2026-01-02', '2026-01-02T00:00:00Z'],
    ['2026-01-01T01:30:00-0230', '2026-01-01T04:00:00Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z'],
    [Date.UTC(2001, 8, 9, 1, 46, 40), '2001-09-09T01:46:40Z'],
  ])('audit.eventTime %s is written as %s', (given, expected) => {
    expect(map({ attributes: { audit: { eventTime: given } } }).eventTime).toBe(expected);
  });

  it.each(['yesterday', '2026-13-45T99:00:00Z', '01/02/2026', '2026-02-30T00:00:00Z', '2026-01-02T24:00:00Z', '2026-04-31', '2026-01-02T10:00:00+25:00'])('an unparseable audit.eventTime (%s) is kept, for the validator to reject', (given) => {
    expect(map({ attributes: { audit: { eventTime: given } } }).eventTime).toBe(given);
  });
});

describe('additionalEventData', () => {
  it('keeps message, severity, trace and span ids and the other attributes; given fields win', () => {
    const data = map({
      message: 'user signed in',
      severity: 'INFO',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      attributes: { audit: { additionalEventData: { severity: 'given' } }, 'audit.eventName': 'X', 'http.route': '/login', tenant: { id: 3 } },
    });
    expect(data.additionalEventData).toEqual({
      severity: 'given',
      message: 'user signed in',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      attributes: { 'http.route': '/login', tenant: { id: 3 } },
    });
  });

  it('leaves context out, not given fields, to stay under 28,000 bytes, and counts what it left out', () => {
    const attributes: Record<string, unknown> = { audit: { additionalEventData: { keep: 'x'.repeat(10_000) } } };
    for (let i = 0; i < 40; i++) attributes[`a${i}`] = 'y'.repeat(1000);
    const data = map({ message: 'm', attributes });
    const extra = data.additionalEventData;
    expect(Buffer.byteLength(JSON.stringify(extra))).toBeLessThanOrEqual(28_000);
    expect(extra.keep).toHaveLength(10_000);
    expect(extra.message).toBe('m');
    const kept = Object.keys(extra.attributes).length;
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(40);
    expect(extra.contextOmitted).toBe(40 - kept);
  });

  it('leaves given fields that alone exceed the cap, for the validator to reject', () => {
    const data = map({ attributes: { audit: { additionalEventData: { big: 'z'.repeat(30_000) } } } });
    expect(data.additionalEventData.big).toHaveLength(30_000);
  });

  it('keeps a non-object additionalEventData as given, for the validator to reject', () => {
    expect(map({ attributes: { audit: { additionalEventData: 'text' } } }).additionalEventData).toBe('text');
  });
});

describe('redaction', () => {
  const record: AuditLogRecord = {
    attributes: {
      audit: {
        requestParameters: { password: 'p', user: { token: 't', name: 'n' }, list: [{ secret: 1 }] },
        responseElements: { token: 'r' },
        userIdentity: { principalId: 'u', details: { token: 'd' } },
      },
      apiKey: 'k',
    },
  };
  it.each([
    [['requestParameters.password'], 'requestParameters.password'],
    [['*.token'], 'responseElements.token'],
    [['requestParameters.*.token'], 'requestParameters.user.token'],
    [['**.secret'], 'requestParameters.list.0.secret'],
    [['**.token'], 'userIdentity.details.token'],
    [['additionalEventData.attributes.apiKey'], 'additionalEventData.attributes.apiKey'],
  ])('%j redacts %s', (paths, field) => {
    const data = map(record, { redact: paths });
    const value = field.split('.').reduce<any>((node, key) => node?.[key], data);
    expect(value).toBe('[REDACTED]');
  });

  it('leaves everything else alone', () => {
    const data = map(record, { redact: ['*.token'] });
    expect(data.requestParameters.user).toEqual({ token: 't', name: 'n' });
    expect(data.requestParameters.password).toBe('p');
  });

  it('a path to a field that is absent leaves it absent', () => {
    const data = map({ attributes: { audit: { eventName: 'E' } } }, { redact: ['errorCode', '*.errorMessage', 'userAgent', '*'] });
    expect(data.errorCode).toBeUndefined();
    expect(data.userAgent).toBeUndefined();
    expect(data.eventName).toBe('[REDACTED]');
  });

  it.each([[''], ['a..b'], ['a.**'], [5]])('rejects the bad path %j at construction', (path) => {
    expect(() => createRecordMapper({ redact: [path as string] })).toThrow(/Configuration: redact\[0\] is invalid/);
  });
});

describe('hostile attribute names', () => {
  it('keeps an attribute or flat audit key named __proto__ as data', () => {
    const attributes = JSON.parse('{"audit":{},"__proto__":{"x":1},"audit.requestParameters.__proto__.y":2}') as Record<string, unknown>;
    const data = map({ attributes });
    expect(Object.keys(data.additionalEventData.attributes)).toEqual(['__proto__']);
    expect(JSON.stringify(data.additionalEventData.attributes)).toBe('{"__proto__":{"x":1}}');
    expect(JSON.stringify(data.requestParameters)).toBe('{"__proto__":{"y":2}}');
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });
});
