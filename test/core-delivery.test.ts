import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, type AuditSinkOptions, type AwsCredentials } from '@auditlake/core';
import type { LocalLake } from '@auditlake/local';
import { closeAll, collector, countIn, expectInvariant, KEY, record, runId, strictLake } from './helpers.js';

// @auditlake/core over real HTTP with real SigV4, against the local lake in strict mode: its
// verifier is written from the SigV4 specification, independently of @smithy/signature-v4.

afterEach(closeAll);

function sinkFor(lake: LocalLake, options: Partial<AuditSinkOptions> = {}) {
  const c = collector();
  const sink = createAuditSink({
    channelArn: lake.channelArn,
    endpoint: lake.endpoint,
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey },
    deadLetter: c.handler,
    diagnostics: c.diagnostics,
    retryBaseDelayMs: 20,
    ...options,
  });
  return { sink, ...c };
}

async function sendAll(lake: LocalLake, n: number, options: Partial<AuditSinkOptions> = {}) {
  const source = runId();
  const run = sinkFor(lake, options);
  for (let i = 0; i < n; i++) run.sink.add(record(source, i));
  await run.sink.flush();
  return { ...run, source };
}

describe('core against the local lake (strict SigV4)', () => {
  it('delivers every event, signed, checksummed, with the mapped fields queryable', async () => {
    const lake = await strictLake();
    const { sink, source, letters } = await sendAll(lake, 250);
    expect(letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 250, requests: 3, retried: 0 });
    expect(await countIn(lake, source)).toEqual({ events: 250, distinct: 250 });
    const rows = await lake.query(
      `SELECT eventData.userIdentity.principalId AS who, eventData.eventTime AS at, eventCategory, recipientAccountId, element_at(eventData.additionalEventData, 'message') AS message FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${source}' AND eventData.userIdentity.principalId = 'user-7'`,
    );
    expect(rows).toEqual([{ who: 'user-7', at: '2026-11-25T12:00:07Z', eventCategory: 'ActivityAuditLog', recipientAccountId: '123456789012', message: 'event 7' }]);
    await sink.shutdown();
    expectInvariant(sink.stats());
  });

  it.each([
    ['HTTP 429 throttling', 'throttle=1@1x2'],
    ['HTTP 503', 'serverError=503@1x3'],
    ['HTTP 500', 'serverError=1x2'],
    ['connection resets before processing', 'reset=1x3'],
    ['per-event Throttling', 'eventThrottle=0.3,seed=7'],
    ['per-event InternalFailure', 'eventInternalFailure=0.3,seed=11'],
    ['all of them at once', 'throttle=0.2,serverError=0.2,reset=0.1,eventThrottle=0.2,eventInternalFailure=0.1,seed=3'],
  ])('delivers exactly once through %s', async (_name, faults) => {
    const lake = await strictLake({ faults });
    const { sink, source, letters } = await sendAll(lake, 300);
    expect(letters).toEqual([]);
    const stats = sink.stats();
    expect(stats.delivered).toBe(300);
    expect(stats.retried).toBeGreaterThan(0);
    expectInvariant(stats);
    expect(await countIn(lake, source)).toEqual({ events: 300, distinct: 300 });
    await sink.shutdown();
  });

  it('retries a request that times out; every event arrives (at least once)', async () => {
    // The slow request is still stored by the lake after the client gave up on it: that is
    // the at-least-once edge every retrying client has. Same ids are resent.
    const lake = await strictLake({ faults: 'latency=1500@1x1' });
    const { sink, source, letters } = await sendAll(lake, 50, { requestTimeoutMs: 400 });
    expect(letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 50, retried: 50 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const counted = await countIn(lake, source);
    expect(counted.distinct).toBe(50);
    expect(counted.events).toBeGreaterThanOrEqual(50);
    await sink.shutdown();
  });

  it('dead-letters everything for an unknown channel, one request per batch, reported once', async () => {
    const lake = await strictLake();
    const missing = lake.channelArn.replace(/channel\/.*/, 'channel/00000000-0000-0000-0000-000000000000');
    const { sink, letters, messages } = await sendAll(lake, 250, { channelArn: missing });
    expect(letters).toHaveLength(250);
    expect(letters.every((l) => l.reason.code === 'ChannelNotFound' && l.attempts === 1)).toBe(true);
    expect(sink.stats().requests).toBe(3);
    expect(messages.filter((m) => m.level === 'error')).toHaveLength(1);
    expectInvariant(sink.stats());
  });

  it('dead-letters on a wrong external id with ChannelInsufficientPermission', async () => {
    const lake = await strictLake({ externalId: 'the-right-one' });
    const wrong = await sendAll(lake, 5, { externalId: 'the-wrong-one' });
    expect(wrong.codes()).toEqual(['ChannelInsufficientPermission']);
    const right = await sendAll(lake, 5, { externalId: 'the-right-one' });
    expect(right.letters).toEqual([]);
    expect(right.sink.stats().delivered).toBe(5);
  });

  it('dead-letters on unknown credentials and on a bad secret, as configuration faults', async () => {
    const lake = await strictLake();
    const unknown = await sendAll(lake, 3, { credentials: { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' } });
    expect(unknown.codes()).toEqual(['UnrecognizedClientException']);
    const badSecret = await sendAll(lake, 3, { credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret' } });
    expect(badSecret.codes()).toEqual(['InvalidSignatureException']);
    expect(badSecret.messages.some((m) => m.level === 'error' && m.message.includes('configuration fault'))).toBe(true);
  });

  it('refreshes expiring credentials and signs with the new ones', async () => {
    const second = { accessKeyId: 'AKIDROTATED', secretAccessKey: 'rotated-secret', accountId: '123456789012' };
    const lake = await strictLake({ credentials: [KEY, second] });
    const issued: string[] = [];
    const provider = async (): Promise<AwsCredentials> => {
      const key = issued.length === 0 ? KEY : second;
      issued.push(key.accessKeyId);
      // Expires within the refresh window, so every request fetches again.
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, expiration: new Date(Date.now() + 60_000) };
    };
    const { sink, source, letters } = await sendAll(lake, 300, { credentials: provider, maxConcurrentRequests: 1 });
    expect(letters).toEqual([]);
    expect(issued.length).toBeGreaterThanOrEqual(3);
    expect(issued.slice(1).every((key) => key === 'AKIDROTATED')).toBe(true);
    expect(await countIn(lake, source)).toEqual({ events: 300, distinct: 300 });
    await sink.shutdown();
  });

  it('shutdown while requests are in flight: bounded, and every event accounted for', async () => {
    const lake = await strictLake({ faults: 'latency=3000@1' });
    const source = runId();
    const { sink, letters } = sinkFor(lake, { shutdownTimeoutMs: 500, maxConcurrentRequests: 2 });
    for (let i = 0; i < 450; i++) sink.add(record(source, i));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await sink.shutdown();
    expect(Date.now() - started).toBeLessThan(2000);
    const stats = sink.stats();
    expectInvariant(stats);
    expect(stats.queuedEvents + stats.inFlightEvents).toBe(0);
    expect(letters).toHaveLength(450);
    expect(new Set(letters.map((l) => l.reason.code))).toEqual(new Set(['Shutdown']));
    expect(letters.filter((l) => l.attempts === 1)).toHaveLength(200);
  });
});
