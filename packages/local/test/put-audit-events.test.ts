import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventDataChecksum, MAX_REQUEST_BODY_BYTES } from '@auditlake/core/internal';
import type { LocalLake } from '../src/index.js';
import { ACCOUNT, auditEvent, controlRaw, eventData, lake, putRaw } from './helpers.js';

let l: LocalLake;
beforeAll(async () => {
  l = await lake({ externalId: undefined });
});

/** After every bad request the lake must still serve a good one. */
async function stillServes(): Promise<void> {
  const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent(`alive-${Math.random().toString(36).slice(2)}`)] } });
  expect(response.status).toBe(200);
  expect((response.json.successful as unknown[]).length).toBe(1);
}

function expectError(response: { status: number; headers: Headers; json: Record<string, unknown> }, status: number, code: string, message?: RegExp): void {
  expect({ status: response.status, type: response.headers.get('x-amzn-errortype'), body: response.json.__type }).toEqual({ status, type: code, body: code });
  expect(typeof response.json.message).toBe('string');
  if (message) expect(response.json.message).toMatch(message);
}

describe('PutAuditEvents: accepted and per-event failures', () => {
  it('stores valid events, answers each in successful[] with a new eventID, and each invalid one in failed[] with the service code', async () => {
    const good = auditEvent('good-1', { UID: 'pae-good' });
    const withChecksum = { ...auditEvent('good-2', { UID: 'pae-good' }), eventDataChecksum: '' };
    withChecksum.eventDataChecksum = eventDataChecksum(withChecksum.eventData);
    const events = [
      good,
      withChecksum,
      { id: 'no-name', eventData: JSON.stringify(eventData({ eventName: undefined })) },
      { id: 'too-long', eventData: JSON.stringify(eventData({ eventName: 'x'.repeat(1025) })) },
      { id: 'not-json', eventData: '{"version":' },
      { id: 'bad-time', eventData: JSON.stringify(eventData({ eventTime: 'yesterday' })) },
      { id: 'other-account', eventData: JSON.stringify(eventData({ recipientAccountId: '999999999999' })) },
      { id: 'bad-checksum', eventData: good.eventData, eventDataChecksum: eventDataChecksum('something else') },
      { id: 'unknown-field', eventData: JSON.stringify(eventData({ color: 'red' })) },
    ];
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const successful = response.json.successful as { id: string; eventID: string }[];
    const failed = response.json.failed as { id: string; errorCode: string; errorMessage: string }[];
    expect(successful.map((s) => s.id)).toEqual(['good-1', 'good-2']);
    for (const s of successful) expect(s.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Object.fromEntries(failed.map((f) => [f.id, f.errorCode]))).toEqual({
      'no-name': 'FieldNotFound',
      'too-long': 'FieldTooLong',
      'not-json': 'InvalidData',
      'bad-time': 'InvalidData',
      'other-account': 'InvalidRecipient',
      'bad-checksum': 'InvalidChecksum',
      'unknown-field': 'InvalidData',
    });
    for (const f of failed) expect(f.errorMessage.length).toBeGreaterThan(0);

    const rows = await l.query(
      `SELECT eventID, eventVersion, eventCategory, eventType, awsRegion, recipientAccountId, metadata.channelARN AS channel, metadata.ingestionTime AS ingested, eventTime, eventData.UID AS uid FROM ${l.eventDataStoreId} WHERE eventData.UID = 'pae-good' ORDER BY eventID`,
    );
    expect(rows.map((r) => r.eventID)).toEqual(successful.map((s) => s.eventID).sort());
    for (const row of rows) {
      expect(row).toMatchObject({ eventVersion: '1.0', eventCategory: 'ActivityAuditLog', eventType: 'ActivityLog', awsRegion: 'us-east-1', recipientAccountId: ACCOUNT, channel: l.channelArn, uid: 'pae-good' });
      expect(row.ingested).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(row.eventTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    }
  });

  it('measures a capped field by its value, not by how long its text is written', async () => {
    // 100,001 bytes of requestParameters as JSON: one over the cap. And 20,000 characters written
    // as \u0041 escapes (120 KB of text, 20 KB of value): under it.
    const over = JSON.stringify(eventData({ requestParameters: { p: 'x'.repeat(100_001 - '{"p":""}'.length) } }));
    const escaped = JSON.stringify(eventData({ requestParameters: { p: 'PLACEHOLDER' } })).replace('PLACEHOLDER', '\\u0041'.repeat(20_000));
    expect(escaped.length).toBeGreaterThan(120_000);
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [{ id: 'over', eventData: over }, { id: 'escaped', eventData: escaped }] } });
    expect(response.status).toBe(200);
    expect((response.json.successful as { id: string }[]).map((e) => e.id)).toEqual(['escaped']);
    expect(response.json.failed).toEqual([{ id: 'over', errorCode: 'FieldTooLong', errorMessage: expect.stringContaining('requestParameters is 100001 bytes') as unknown }]);
  });

  it('keeps the original eventData exactly (whitespace, key order, unicode) next to the parsed struct', async () => {
    const text = `{ "UID":"exact-1","version":"1.0","userIdentity":{"type":"T","principalId":"zoë 🚀"},"eventSource":"s","eventName":"n","eventTime":"2022-09-25T10:00:00Z","recipientAccountId":"${ACCOUNT}"}`;
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [{ id: 'exact', eventData: text }] } });
    expect(response.status).toBe(200);
    const [row] = await l.query(`SELECT eventData.userIdentity.principalId AS who FROM ${l.eventDataStoreId} WHERE eventData.UID = 'exact-1'`);
    expect(row).toEqual({ who: 'zoë 🚀' });
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const log = readFileSync(join(l.dataDir, 'stores', l.eventDataStoreId, 'events.jsonl'), 'utf8');
    const line = log.split('\n').find((candidate) => candidate.includes('exact-1')) as string;
    expect((JSON.parse(line) as { record: { eventData: string; id: string } }).record).toMatchObject({ eventData: text, id: 'exact' });
    // The line is {"hash":…,"record":<record>} with the record exactly as JSON.stringify writes it, keys in the documented order.
    const record = line.slice(line.indexOf(',"record":') + ',"record":'.length, -1);
    const parsed = JSON.parse(record) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['seq', 'eventVersion', 'eventCategory', 'eventType', 'eventID', 'eventTime', 'awsRegion', 'recipientAccountId', 'metadata', 'id', 'eventData']);
    expect(record).toBe(JSON.stringify(parsed));
  });

  it("stores eventData as the client escaped it (\\/, \\u escapes, repeated members), readable in SQL and by verify", async () => {
    const text = `{"UID":"escaped-1","version":"1.0","userIdentity":{"type":"T","principalId":"a/b é"},"eventSource":"s","eventName":"n","eventTime":"2022-09-25T10:00:00Z","recipientAccountId":"${ACCOUNT}"}`;
    // Another client's escaping: every / as \/, every a as \u0061, é as \u00e9. The decoy first
    // eventData is replaced by the second (JSON.parse keeps the last), and must not be stored.
    const literal = JSON.stringify(text).replaceAll('/', '\\/').replaceAll('a', '\\u0061').replaceAll('é', '\\u00e9');
    const decoy = JSON.stringify(text.replace('escaped-1', 'decoy-1'));
    const rawBody = `{"auditEvents":[ {"eventData":${decoy}, "id":"client-escaped", "eventData" : ${literal}} ]}`;
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: undefined, rawBody });
    expect(response.status).toBe(200);
    expect((response.json.successful as { id: string }[]).map((s) => s.id)).toEqual(['client-escaped']);
    const rows = await l.query(`SELECT eventData.UID AS uid, eventData.userIdentity.principalId AS who FROM ${l.eventDataStoreId} WHERE eventData.UID IN ('escaped-1', 'decoy-1')`);
    expect(rows).toEqual([{ uid: 'escaped-1', who: 'a/b é' }]);
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const line = readFileSync(join(l.dataDir, 'stores', l.eventDataStoreId, 'events.jsonl'), 'utf8')
      .split('\n')
      .find((candidate) => candidate.includes('"id":"client-escaped"')) as string;
    expect(line.endsWith(`"eventData":${literal}}}`)).toBe(true);
    expect((JSON.parse(line) as { record: { eventData: string } }).record.eventData).toBe(text);
    const { verifyDataDir } = await import('../src/index.js');
    expect((await verifyDataDir(l.dataDir)).ok).toBe(true);
  });

  it('updates the channel ingestion status (GetChannel)', async () => {
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('status-1')] } });
    const eventID = (response.json.successful as { eventID: string }[])[0]?.eventID;
    const channel = await controlRaw(l.endpoint, 'GetChannel', { Channel: l.channelArn });
    expect(channel.status).toBe(200);
    expect(channel.json.IngestionStatus).toMatchObject({ LatestIngestionSuccessEventID: eventID, LatestIngestionAttemptEventID: eventID });
    expect(typeof (channel.json.IngestionStatus as Record<string, unknown>).LatestIngestionSuccessTime).toBe('number');
  });
});

describe('PutAuditEvents: bad requests are answered as the service would, and the lake keeps serving', () => {
  it('malformed JSON → 400 SerializationException', async () => {
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: undefined, rawBody: '{"auditEvents": [' }), 400, 'SerializationException');
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: 'nope' } }), 400, 'SerializationException');
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [{ id: 5, eventData: '{}' }] } }), 400, 'SerializationException');
    await stillServes();
  });

  it('wrong or missing content type → 415 UnsupportedMediaTypeException', async () => {
    const body = { auditEvents: [auditEvent('ct')] };
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body, contentType: 'text/plain' }), 415, 'UnsupportedMediaTypeException', /text\/plain/);
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body, contentType: 'application/x-amz-json-1.1' }), 415, 'UnsupportedMediaTypeException');
    expect((await putRaw(l.endpoint, { channelArn: l.channelArn, body, contentType: 'application/json; charset=utf-8' })).status).toBe(200);
    await stillServes();
  });

  it('model violations → 400 ValidationException in the AWS wording', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => auditEvent(`many-${i}`));
    expectError(
      await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: tooMany } }),
      400,
      'ValidationException',
      /^1 validation error detected: Value '\[\.\.\.\]' at 'auditEvents' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    );
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [] } }), 400, 'ValidationException', /Member must have length greater than or equal to 1/);
    expectError(await putRaw(l.endpoint, { body: { auditEvents: [auditEvent('x')] } }), 400, 'ValidationException', /Value null at 'channelArn' failed to satisfy constraint: Member must not be null/);
    expectError(await putRaw(l.endpoint, { channelArn: 'not-an-arn', body: { auditEvents: [auditEvent('x')] } }), 400, 'ValidationException', /regular expression pattern: \^arn:/);
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: {} }), 400, 'ValidationException', /Value null at 'auditEvents'/);
    const twoBad = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [{ id: 'has space', eventData: '{}' }, { id: 'x'.repeat(129) }] } });
    expectError(twoBad, 400, 'ValidationException', /^3 validation errors detected: /);
    expect(twoBad.json.message).toContain(`Value 'has space' at 'auditEvents.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[-_A-Za-z0-9]+$`);
    expect(twoBad.json.message).toContain(`at 'auditEvents.2.member.id' failed to satisfy constraint: Member must have length less than or equal to 128`);
    expect(twoBad.json.message).toContain(`Value null at 'auditEvents.2.member.eventData' failed to satisfy constraint: Member must not be null`);
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, externalId: 'x', body: { auditEvents: [auditEvent('x')] } }), 400, 'ValidationException', /'externalId'.*greater than or equal to 2/);
    await stillServes();
  });

  it('a body over 1,000,000 bytes → 413 RequestEntityTooLargeException, nothing stored', async () => {
    const big = 'x'.repeat(12_000);
    const events = Array.from({ length: 90 }, (_, i) => auditEvent(`big-${i}`, { UID: 'too-big', requestParameters: { big } }));
    const body = JSON.stringify({ auditEvents: events });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn, body: undefined, rawBody: body }), 413, 'RequestEntityTooLargeException', /1000000 bytes/);
    const [row] = await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.UID = 'too-big'`);
    expect(row).toEqual({ n: 0 });
    await stillServes();
  });

  it('channel errors: InvalidChannelARN, ChannelNotFound, ChannelInsufficientPermission (wrong account)', async () => {
    const body = { auditEvents: [auditEvent('ch')] };
    expectError(await putRaw(l.endpoint, { channelArn: 'arn:aws:cloudtrail:us-east-1:123:channel/x', body }), 400, 'InvalidChannelARN');
    expectError(await putRaw(l.endpoint, { channelArn: 'arn:aws:s3:::bucket', body }), 400, 'InvalidChannelARN');
    const missing = l.channelArn.replace(/channel\/.*/, 'channel/00000000-0000-4000-8000-000000000000');
    expectError(await putRaw(l.endpoint, { channelArn: missing, body }), 400, 'ChannelNotFound');
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn.replace(ACCOUNT, '210987654321'), body }), 400, 'ChannelInsufficientPermission');
    expectError(await putRaw(l.endpoint, { channelArn: l.channelArn.replace('us-east-1', 'eu-west-1'), body }), 400, 'ChannelNotFound');
    await stillServes();
  });

  it('duplicate ids in one request → 400 DuplicatedAuditEventId, nothing stored', async () => {
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('dup', { UID: 'dup-uid' }), auditEvent('other', { UID: 'dup-uid' }), auditEvent('dup', { UID: 'dup-uid' })] } });
    expectError(response, 400, 'DuplicatedAuditEventId', /dup/);
    expect(await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.UID = 'dup-uid'`)).toEqual([{ n: 0 }]);
    await stillServes();
  });

  it('unknown paths and methods → 404 UnknownOperationException; garbage on the socket → 400; still serving', async () => {
    const get = await fetch(`${l.endpoint}/PutAuditEvents`);
    expect(get.status).toBe(404);
    expect(get.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const url = new URL(l.endpoint);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillServes();
  });

  it('a client that hangs up mid-body does not hurt the lake', async () => {
    const url = new URL(l.endpoint);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`POST /PutAuditEvents?channelArn=${encodeURIComponent(l.channelArn)} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"auditEvents":[`, () => {
          socket.destroy();
          resolve();
        });
      });
    });
    await stillServes();
  });
});

describe('PutAuditEvents: external id', () => {
  it('requires the external id named by the channel policy: missing or wrong → ChannelInsufficientPermission', async () => {
    const guarded = await lake({ externalId: 'the-right-one' });
    const body = { auditEvents: [auditEvent('ext')] };
    expectError(await putRaw(guarded.endpoint, { channelArn: guarded.channelArn, body }), 400, 'ChannelInsufficientPermission', /external ID/);
    expectError(await putRaw(guarded.endpoint, { channelArn: guarded.channelArn, externalId: 'the-wrong-one', body }), 400, 'ChannelInsufficientPermission', /external ID/);
    const ok = await putRaw(guarded.endpoint, { channelArn: guarded.channelArn, externalId: 'the-right-one', body });
    expect(ok.status).toBe(200);
    expect((ok.json.successful as unknown[]).length).toBe(1);
  });
});
