import { describe, expect, it } from 'vitest';
import { createAuditSink, mapAuditRecord, validateEventData, type AuditLogRecord, type MapAuditRecordOptions } from '../src/index.js';
import { cutText, cutToJsonBytes, truncateText, truncationMarker } from '../src/over-long-fields.js';
import { ACCOUNT, auditRecord, CHANNEL_ARN, deadLetters, eventDataOf, expectInvariant, quietDiagnostics, recordingSend } from './helpers.js';

const options: MapAuditRecordOptions = { recipientAccountId: ACCOUNT, now: () => Date.UTC(2026, 10, 25) };
const map = (record: AuditLogRecord, extra: MapAuditRecordOptions = {}) => mapAuditRecord(record, { ...options, ...extra }) as unknown as Record<string, any>;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** A text of `length` code units that says where each part came from, so that a cut shows which end it kept. */
const long = (length: number, unit = 'abcdefghij') => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

describe('truncateText', () => {
  it.each([257, 300, 1000, 99_999, 1_000_000])('cuts a %i-character text to exactly the cap, with the count of what it removed', (length) => {
    const text = long(length);
    const cut = truncateText(text, 256);
    expect(cut.length).toBeLessThanOrEqual(256);
    const match = /^(.*)…\[truncated (\d+) chars\]$/s.exec(cut);
    expect(match).not.toBeNull();
    expect(text.startsWith(match![1]!)).toBe(true);
    expect(match![1]!.length + Number(match![2])).toBe(length);
    // Nothing more would fit: one more kept character (with the marker it then needs) is over the cap.
    expect(cutText(text, match![1]!.length + 1).length).toBeGreaterThan(256);
  });

  it('never keeps half of a surrogate pair', () => {
    const text = '😀'.repeat(200);
    const cut = truncateText(text, 256);
    expect(cut.isWellFormed()).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(256);
    const kept = cut.slice(0, cut.indexOf('…'));
    expect(kept.length % 2).toBe(0);
    expect(cut.endsWith(truncationMarker(400 - kept.length))).toBe(true);
  });
});

describe('cutToJsonBytes', () => {
  it.each([
    ['ASCII', long(50_000)],
    ['three-byte characters', '€'.repeat(20_000)],
    ['characters JSON escapes (quotes, newlines, control characters)', '"\n\u0001'.repeat(20_000)],
  ])('fits %s into the bytes given, as JSON, and keeps as much as fits', (_name, text) => {
    const cut = cutToJsonBytes(text, 5000)!;
    expect(bytes(cut)).toBeLessThanOrEqual(5000);
    const kept = cut.slice(0, cut.lastIndexOf('…['));
    expect(text.startsWith(kept)).toBe(true);
    expect(bytes(cutText(text, kept.length + 1))).toBeGreaterThan(5000 - 1);
  });

  it('gives nothing when not even the marker fits', () => {
    expect(cutToJsonBytes(long(1000), 10)).toBeUndefined();
  });
});

describe('fields filled from the log’s context are truncated, and their full text kept', () => {
  it.each([
    ['errorMessage', 256, 'exception.message', (d: any) => d.errorMessage, (t: any) => t.errorMessage],
    ['errorCode', 256, 'error.type', (d: any) => d.errorCode, (t: any) => t.errorCode],
    ['userAgent', 1024, 'user_agent.original', (d: any) => d.userAgent, (t: any) => t.userAgent],
    ['eventName', 1024, 'event.name', (d: any) => d.eventName, (t: any) => t.eventName],
    ['userIdentity.principalId', 1024, 'user.id', (d: any) => d.userIdentity.principalId, (t: any) => t.userIdentity.principalId],
  ])('%s (cap %i) from %s', (_field, cap, attribute, read, readFull) => {
    const text = long(cap + 500);
    for (const overLongFields of ['truncate', 'deadLetter'] as const) {
      const audit = { eventSource: 's', ...(attribute === 'event.name' ? {} : { eventName: 'E' }), ...(attribute === 'user.id' ? {} : { userIdentity: { principalId: 'p' } }) };
      const data = map({ attributes: { audit, [attribute]: text } }, { overLongFields });
      expect(read(data)).toHaveLength(cap);
      expect(read(data)).toBe(truncateText(text, cap));
      expect(readFull(data.additionalEventData.truncated)).toBe(text);
      expect(validateEventData(data)).toBeUndefined();
    }
  });

  it('eventSource from the resource’s service.name', () => {
    const text = long(2000);
    const data = map({ attributes: { audit: {} }, resource: { 'service.name': text } }, { overLongFields: 'deadLetter' });
    expect(data.eventSource).toHaveLength(1024);
    expect(data.additionalEventData.truncated.eventSource).toBe(text);
  });

  it('the record’s own eventName (OTel)', () => {
    const data = map({ eventName: long(1500), attributes: { audit: {} } }, { overLongFields: 'deadLetter' });
    expect(data.eventName).toHaveLength(1024);
    expect(data.additionalEventData.truncated.eventName).toHaveLength(1500);
  });

  it('principalId from user.id when a given userIdentity has none', () => {
    const data = map({ attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { type: 'Employee' } }, 'user.id': long(1100) } }, { overLongFields: 'deadLetter' });
    expect(data.userIdentity).toEqual({ type: 'Employee', principalId: expect.stringMatching(/…\[truncated \d+ chars\]$/) });
    expect(validateEventData(data)).toBeUndefined();
  });

  it('leaves fields within their caps alone, and adds nothing', () => {
    const data = map({ attributes: { audit: {}, 'exception.message': long(256), 'user_agent.original': long(1024) } });
    expect(data.errorMessage).toBe(long(256));
    expect(data.userAgent).toBe(long(1024));
    expect(data.additionalEventData.truncated).toBeUndefined();
  });
});

describe('fields given in audit', () => {
  const given = { eventName: 'E', eventSource: 's', errorMessage: long(300), userIdentity: { principalId: long(1030), type: long(130) }, version: long(257), UID: long(1025) };

  it('are truncated by default, each with its full text', () => {
    const data = map({ attributes: { audit: structuredClone(given) } });
    expect([data.errorMessage.length, data.userIdentity.principalId.length, data.userIdentity.type.length, data.version.length, data.UID.length]).toEqual([256, 1024, 128, 256, 1024]);
    expect(data.additionalEventData.truncated).toEqual({
      errorMessage: given.errorMessage, userIdentity: { principalId: given.userIdentity.principalId, type: given.userIdentity.type }, version: given.version, UID: given.UID,
    });
    expect(validateEventData(data)).toBeUndefined();
  });

  it.each([
    ['errorMessage', { errorMessage: long(257) }, 'eventData.errorMessage'],
    ['userIdentity.principalId', { userIdentity: { principalId: long(1025) } }, 'eventData.userIdentity.principalId'],
    ['userIdentity.type', { userIdentity: { principalId: 'p', type: long(129) } }, 'eventData.userIdentity.type'],
  ])('are left as given with overLongFields: deadLetter, so that %s is refused with FieldTooLong', (_name, audit, field) => {
    const data = map({ attributes: { audit: { eventName: 'E', eventSource: 's', ...audit } } }, { overLongFields: 'deadLetter' });
    expect(validateEventData(data)).toMatchObject({ code: 'FieldTooLong', field });
  });

  it('options that fill capped fields are checked at construction instead', () => {
    expect(() => mapAuditRecord({ attributes: { audit: {} } }, { eventSource: long(1025) })).toThrow('Configuration: eventSource is invalid, expected at most 1024 characters');
    expect(() => mapAuditRecord({ attributes: { audit: {} } }, { userIdentityType: long(129) })).toThrow(/Configuration: userIdentityType is invalid/);
    expect(() => mapAuditRecord({ attributes: { audit: {} } }, { eventVersion: long(257) })).toThrow(/Configuration: eventVersion is invalid/);
    expect(() => mapAuditRecord({ attributes: { audit: {} } }, { overLongFields: 'drop' as 'truncate' })).toThrow(`Configuration: overLongFields is invalid, expected one of 'truncate', 'deadLetter' (actual: "drop")`);
  });
});

describe('the full texts within additionalEventData’s 28,000 bytes', () => {
  it('a huge message is cut to what fits, before the other context, and the event stays valid', () => {
    const message = long(1_000_000);
    const audit = { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' }, additionalEventData: { ticket: 'T-1' } };
    const data = map({ message: 'm', severity: 'ERROR', attributes: { audit, 'exception.message': message, other: 'x'.repeat(100) } });
    const extra = data.additionalEventData;
    expect(bytes(extra)).toBeLessThanOrEqual(28_000);
    expect(bytes(extra)).toBeGreaterThan(27_000);
    expect(extra.ticket).toBe('T-1');
    expect([extra.severity, extra.message]).toEqual(['ERROR', 'm']);
    const kept = /^(.*)…\[truncated (\d+) chars\]$/s.exec(extra.truncated.errorMessage)!;
    expect(message.startsWith(kept[1]!)).toBe(true);
    expect(kept[1]!.length + Number(kept[2])).toBe(message.length);
    // The same text also sat in the attributes: what did not fit there is counted, not lost silently.
    expect(extra.contextOmitted).toBeGreaterThan(0);
    expect(validateEventData(data)).toBeUndefined();
  });

  it('several huge fields share the room evenly; one that fits whole stays whole', () => {
    const audit = { eventName: 'E', eventSource: 's', errorMessage: '€'.repeat(50_000), userAgent: long(50_000), errorCode: long(300), userIdentity: { principalId: long(50_000) } };
    const data = map({ attributes: { audit } });
    const truncated = data.additionalEventData.truncated;
    expect(bytes(data.additionalEventData)).toBeLessThanOrEqual(28_000);
    expect(truncated.errorCode).toBe(audit.errorCode);
    const shares = [truncated.errorMessage, truncated.userAgent, truncated.userIdentity.principalId].map((text: string) => {
      expect(text).toMatch(/…\[truncated \d+ chars\]$/);
      return bytes(text);
    });
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThan(10);
    expect(Math.min(...shares)).toBeGreaterThan(9000);
    expect(data.additionalEventData.contextOmitted).toBeUndefined();
    expect(validateEventData(data)).toBeUndefined();
  });

  it('a truncated key given in additionalEventData wins (the marker still shows the cut)', () => {
    const data = map({ attributes: { audit: { errorMessage: long(300), additionalEventData: { truncated: 'mine' } } } });
    expect(data.additionalEventData.truncated).toBe('mine');
    expect(data.errorMessage).toBe(truncateText(long(300), 256));
    expect(data.errorMessage).toMatch(/…\[truncated 65 chars\]$/);
  });
});

describe('redaction comes first', () => {
  it('a redacted field is not copied anywhere', () => {
    const data = map({ attributes: { audit: { errorMessage: `token=${long(500)}` } } }, { redact: ['errorMessage'] });
    expect(data.errorMessage).toBe('[REDACTED]');
    expect(JSON.stringify(data)).not.toContain('token=');
  });

  it('a path into additionalEventData.truncated applies to the copies', () => {
    const data = map({ attributes: { audit: { errorMessage: long(500) } } }, { redact: ['additionalEventData.truncated.errorMessage'] });
    expect(data.additionalEventData.truncated.errorMessage).toBe('[REDACTED]');
    expect(data.errorMessage).toHaveLength(256);
  });
});

describe('in the sink', () => {
  it('a failed operation with a long error message is delivered, counted and announced once', async () => {
    const send = recordingSend();
    const { diagnostics, at } = quietDiagnostics();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: send.send, diagnostics, deadLetter: () => {} });
    const message = `connect ECONNREFUSED ${long(600)}`;
    sink.add(auditRecord(1, {}, { attributes: { audit: { eventName: 'Pay', eventSource: 'pay', userIdentity: { principalId: 'u' } }, 'exception.message': message, 'error.type': long(400) } }));
    sink.add(auditRecord(2, { errorMessage: long(300) }));
    sink.add(auditRecord(3));
    await sink.flush();
    const stats = sink.stats();
    expect(stats.delivered).toBe(3);
    expect(stats.truncatedFields).toBe(3);
    expectInvariant(stats);
    const first = eventDataOf(send.calls[0]!, 0) as any;
    expect(first.errorMessage).toBe(`${message.slice(0, 234)}…[truncated ${message.length - 234} chars]`);
    expect(first.additionalEventData.truncated.errorMessage).toBe(message);
    expect(at('warn').filter((m) => m.includes('truncated'))).toHaveLength(1);
    await sink.shutdown();
  });

  it('overLongFields: deadLetter dead-letters given over-long fields with FieldTooLong and counts no truncation', async () => {
    const send = recordingSend();
    const letters = deadLetters();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: send.send, deadLetter: letters.handler, overLongFields: 'deadLetter', diagnostics: quietDiagnostics().diagnostics });
    sink.add(auditRecord(1, { errorMessage: long(257) }));
    await sink.flush();
    expect(letters.codes()).toEqual(['FieldTooLong']);
    expect(letters.letters[0]!.reason.message).toBe('eventData.errorMessage is 257 characters; at most 256 are allowed');
    expect(sink.stats()).toMatchObject({ truncatedFields: 0, delivered: 0, deadLettered: { refusedByReason: { FieldTooLong: 1 } } });
    await sink.shutdown();
  });

  it.each(['truncate', 'deadLetter'] as const)('objects over their byte cap are dead-lettered whole (overLongFields: %s)', async (overLongFields) => {
    const letters = deadLetters();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: recordingSend().send, deadLetter: letters.handler, overLongFields, diagnostics: quietDiagnostics().diagnostics });
    sink.add(auditRecord(1, { requestParameters: { dump: 'x'.repeat(100_000) } }));
    await sink.flush();
    expect(letters.codes()).toEqual(['FieldTooLong']);
    expect(JSON.parse(letters.letters[0]!.event.eventData).requestParameters.dump).toHaveLength(100_000);
    await sink.shutdown();
  });
});
