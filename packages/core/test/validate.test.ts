import { describe, expect, it } from 'vitest';
import { validateEventData } from '../src/index.js';
import { isEventTime, validateAuditEventEntry } from '../src/internal.js';

const valid = () => ({
  version: '1.0',
  userIdentity: { type: 'CustomUserIdentity', principalId: 'alice', details: { k: 'v' } },
  userAgent: 'agent',
  eventSource: 'app.example',
  eventName: 'SignIn',
  eventTime: '2026-11-25T12:00:00Z',
  UID: 'uid-1',
  requestParameters: { a: 1 },
  responseElements: { b: 2 },
  errorCode: 'E',
  errorMessage: 'm',
  sourceIPAddress: '192.0.2.1',
  recipientAccountId: '123456789012',
  additionalEventData: { c: 3 },
});

type Mutation = (data: Record<string, any>) => void;

describe('validateEventData', () => {
  it('accepts a complete valid event, and a minimal one', () => {
    expect(validateEventData(valid())).toBeUndefined();
    const minimal: Record<string, unknown> = valid();
    for (const key of ['userAgent', 'requestParameters', 'responseElements', 'errorCode', 'errorMessage', 'sourceIPAddress', 'additionalEventData']) delete minimal[key];
    expect(validateEventData(minimal)).toBeUndefined();
  });

  it.each<[string, Mutation, string, string]>([
    ['missing version', (d) => delete d.version, 'FieldNotFound', 'eventData.version'],
    ['missing userIdentity', (d) => delete d.userIdentity, 'FieldNotFound', 'eventData.userIdentity'],
    ['missing userIdentity.type', (d) => delete d.userIdentity.type, 'FieldNotFound', 'eventData.userIdentity.type'],
    ['missing principalId', (d) => delete d.userIdentity.principalId, 'FieldNotFound', 'eventData.userIdentity.principalId'],
    ['null principalId', (d) => (d.userIdentity.principalId = null), 'FieldNotFound', 'eventData.userIdentity.principalId'],
    ['missing eventSource', (d) => delete d.eventSource, 'FieldNotFound', 'eventData.eventSource'],
    ['missing eventName', (d) => delete d.eventName, 'FieldNotFound', 'eventData.eventName'],
    ['missing eventTime', (d) => delete d.eventTime, 'FieldNotFound', 'eventData.eventTime'],
    ['missing UID', (d) => delete d.UID, 'FieldNotFound', 'eventData.UID'],
    ['missing recipientAccountId', (d) => delete d.recipientAccountId, 'FieldNotFound', 'eventData.recipientAccountId'],
    ['version over 256', (d) => (d.version = 'v'.repeat(257)), 'FieldTooLong', 'eventData.version'],
    ['userIdentity.type over 128', (d) => (d.userIdentity.type = 't'.repeat(129)), 'FieldTooLong', 'eventData.userIdentity.type'],
    ['principalId over 1024', (d) => (d.userIdentity.principalId = 'p'.repeat(1025)), 'FieldTooLong', 'eventData.userIdentity.principalId'],
    ['userAgent over 1024', (d) => (d.userAgent = 'a'.repeat(1025)), 'FieldTooLong', 'eventData.userAgent'],
    ['eventSource over 1024', (d) => (d.eventSource = 's'.repeat(1025)), 'FieldTooLong', 'eventData.eventSource'],
    ['eventName over 1024', (d) => (d.eventName = 'n'.repeat(1025)), 'FieldTooLong', 'eventData.eventName'],
    ['UID over 1024', (d) => (d.UID = 'u'.repeat(1025)), 'FieldTooLong', 'eventData.UID'],
    ['errorCode over 256', (d) => (d.errorCode = 'e'.repeat(257)), 'FieldTooLong', 'eventData.errorCode'],
    ['errorMessage over 256', (d) => (d.errorMessage = 'm'.repeat(257)), 'FieldTooLong', 'eventData.errorMessage'],
    ['requestParameters over 100,000 UTF-8 bytes (33,331 three-byte chars)', (d) => (d.requestParameters = { x: '€'.repeat(33_331) }), 'FieldTooLong', 'eventData.requestParameters'],
    ['responseElements over 100,000 bytes', (d) => (d.responseElements = { x: 'r'.repeat(100_000) }), 'FieldTooLong', 'eventData.responseElements'],
    ['additionalEventData over 28,000 bytes', (d) => (d.additionalEventData = { x: 'a'.repeat(28_000) }), 'FieldTooLong', 'eventData.additionalEventData'],
    ['eventName not a string', (d) => (d.eventName = 7), 'InvalidData', 'eventData.eventName'],
    ['eventName blank', (d) => (d.eventName = '  '), 'InvalidData', 'eventData.eventName'],
    ['eventName empty', (d) => (d.eventName = ''), 'InvalidData', 'eventData.eventName'],
    ['eventSource of tabs and line breaks', (d) => (d.eventSource = '\t\r\n'), 'InvalidData', 'eventData.eventSource'],
    ['UID of non-ASCII white space', (d) => (d.UID = '\u00a0\u3000\ufeff'), 'InvalidData', 'eventData.UID'],
    ['principalId of U+2028', (d) => (d.userIdentity.principalId = '\u2028'), 'InvalidData', 'eventData.userIdentity.principalId'],
    ['userIdentity a string', (d) => (d.userIdentity = 'alice'), 'InvalidData', 'eventData.userIdentity'],
    ['details an array', (d) => (d.userIdentity.details = [1]), 'InvalidData', 'eventData.userIdentity.details'],
    ['requestParameters an array', (d) => (d.requestParameters = [1, 2]), 'InvalidData', 'eventData.requestParameters'],
    ['unknown top-level field', (d) => (d.evenName = 'typo'), 'InvalidData', 'eventData.evenName'],
    ['unknown userIdentity field', (d) => (d.userIdentity.arn = 'x'), 'InvalidData', 'eventData.userIdentity.arn'],
    ['eventTime with milliseconds', (d) => (d.eventTime = '2026-11-25T12:00:00.123Z'), 'InvalidData', 'eventData.eventTime'],
    ['eventTime with an offset', (d) => (d.eventTime = '2026-11-25T12:00:00+01:00'), 'InvalidData', 'eventData.eventTime'],
    ['eventTime on February 30th', (d) => (d.eventTime = '2026-02-30T00:00:00Z'), 'InvalidData', 'eventData.eventTime'],
    ['eventTime at 24:00', (d) => (d.eventTime = '2026-02-10T24:00:00Z'), 'InvalidData', 'eventData.eventTime'],
    ['recipientAccountId not 12 digits', (d) => (d.recipientAccountId = '1234'), 'InvalidData', 'eventData.recipientAccountId'],
    ['sourceIPAddress not an IP', (d) => (d.sourceIPAddress = 'example.com'), 'InvalidData', 'eventData.sourceIPAddress'],
    ['a circular requestParameters', (d) => (d.requestParameters = { self: d }), 'InvalidData', 'eventData.requestParameters'],
    ['a bigint inside responseElements', (d) => (d.responseElements = { n: 1n }), 'InvalidData', 'eventData.responseElements'],
  ])('%s → %s on %s', (_name, mutate, code, field) => {
    const data: Record<string, any> = valid();
    mutate(data);
    const violation = validateEventData(data);
    expect(violation).toMatchObject({ code, field });
    expect(violation!.message).toContain(field);
  });

  it('measures caps in UTF-8 bytes, not characters: {"x":"€…"} is 8 + 3n bytes', () => {
    const data: Record<string, any> = valid();
    data.requestParameters = { x: '€'.repeat(33_330) }; // 99,998 bytes
    expect(validateEventData(data)).toBeUndefined();
    data.requestParameters = { x: '€'.repeat(33_331) };
    expect(validateEventData(data)?.code).toBe('FieldTooLong');
  });

  it('InvalidRecipient when the account is not the channel owner', () => {
    expect(validateEventData(valid(), { recipientAccountId: '999999999999' })).toMatchObject({ code: 'InvalidRecipient' });
    expect(validateEventData(valid(), { recipientAccountId: '123456789012' })).toBeUndefined();
  });

  it('uses sizes already measured instead of measuring again', () => {
    expect(validateEventData(valid(), { fieldBytes: { requestParameters: 100_001 } })?.code).toBe('FieldTooLong');
  });

  it('names an unknown field wherever it stands, and in whatever order the fields come', () => {
    const reordered: Record<string, unknown> = { typo: 1, ...valid() };
    expect(validateEventData(reordered)).toMatchObject({ code: 'InvalidData', field: 'eventData.typo' });
    const backwards = Object.fromEntries(Object.entries(valid()).reverse());
    expect(validateEventData(backwards)).toBeUndefined();
    const identityLast: Record<string, any> = valid();
    identityLast.userIdentity = { details: {}, principalId: 'p', type: 't', arn: 'x' };
    expect(validateEventData(identityLast)).toMatchObject({ field: 'eventData.userIdentity.arn' });
  });

  it('an enumerable key on Object.prototype (a patched runtime) is not a field of the event', () => {
    (Object.prototype as Record<string, unknown>).polluted = 1;
    try {
      expect(validateEventData(valid())).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('the last valid account and address are remembered, never a bad one after them', () => {
    expect(validateEventData(valid())).toBeUndefined();
    const data: Record<string, any> = valid();
    data.sourceIPAddress = '192.0.2.1.evil';
    expect(validateEventData(data)?.field).toBe('eventData.sourceIPAddress');
    data.sourceIPAddress = '2001:db8::1';
    data.recipientAccountId = '12345678901x';
    expect(validateEventData(data)?.field).toBe('eventData.recipientAccountId');
    data.recipientAccountId = 123456789012;
    expect(validateEventData(data)?.field).toBe('eventData.recipientAccountId');
  });

  it('measures no cap the whole text cannot reach (eventDataBytes), and every cap it can', () => {
    const data: Record<string, any> = valid();
    data.additionalEventData = { x: 'a'.repeat(28_000) };
    expect(validateEventData(data, { eventDataBytes: 100_000 })?.code).toBe('FieldTooLong');
    // A bound below the cap means the field cannot be over it: not measured, not refused.
    expect(validateEventData(data, { eventDataBytes: 28_000 })).toBeUndefined();
    expect(validateEventData(data, { eventDataLength: 9_000 })).toBeUndefined();
    expect(validateEventData(data, { eventDataLength: 9_400, eventDataBytes: 1_000_000 })?.code).toBe('FieldTooLong');
  });

  it.each([null, 'text', [1], 42])('rejects a non-object eventData (%j) with InvalidData', (data) => {
    expect(validateEventData(data)?.code).toBe('InvalidData');
  });
});

describe('isEventTime', () => {
  it.each([
    ['2026-11-25T12:00:00Z', true],
    ['2026-11-25T12:00:00', true],
    ['2024-02-29T23:59:59Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['2026-11-25 12:00:00', false],
    ['2026-11-25T12:00Z', false],
    ['+12026-11-25T12:00:00Z', false],
  ])('%s → %s', (text, expected) => expect(isEventTime(text)).toBe(expected));
});

describe('validateAuditEventEntry', () => {
  it.each([
    [{ id: 'a-b_C9', eventData: '{}' }, undefined],
    [{ id: 'x'.repeat(128), eventData: '{}', eventDataChecksum: 'abc' }, undefined],
    [{ id: 'x'.repeat(129), eventData: '{}' }, /id must be/],
    [{ id: 'has space', eventData: '{}' }, /id must be/],
    [{ id: '', eventData: '{}' }, /id must be/],
    [{ id: 'ok', eventData: {} }, /eventData of ok must be a string/],
    [{ id: 'ok', eventData: '{}', eventDataChecksum: 5 }, /eventDataChecksum/],
    [{ id: 'ok', eventData: '{}', extra: 1 }, /extra is not a member/],
    ['nope', /must be an object/],
  ])('%j', (entry, expected) => {
    const problem = validateAuditEventEntry(entry);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
