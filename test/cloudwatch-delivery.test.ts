import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, CreateLogStreamCommand, DeleteLogStreamCommand, PutLogEventsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, type AuditSinkOptions, type AuditSink } from '@auditlake/core';
import type { LocalLake, LocalLakeOptions } from '@auditlake/local';
import { closeAll, collector, expectInvariant, KEY, runId, strictLake } from './helpers.js';

// Both destinations of core's sink, CloudTrail Lake (channelArn) and CloudWatch Logs
// (logGroupName), against the local lake over real HTTP with strict SigV4, through the same
// faults; after each scenario every event is accounted for (the stats invariant) and the lake
// holds what the sink says it delivered.

afterEach(closeAll);

type Kind = 'lake' | 'logs';
const KINDS: Kind[] = ['lake', 'logs'];
const CREDENTIALS = { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey };

/** A record of the run's event source, timed a little before now (CloudWatch Logs takes 14 days back at most). */
function record(source: string, n: number, audit: Record<string, unknown> = {}, time = Date.now() - 60_000 + n) {
  return { time, message: `event ${n}`, attributes: { audit: { eventName: 'SignIn', eventSource: source, UID: `${source}-${n}`, userIdentity: { principalId: `user-${n}` }, ...audit } } };
}

interface Target {
  lake: LocalLake;
  kind: Kind;
  /** The sink options that pick this destination. */
  options: Partial<AuditSinkOptions>;
  /** Events stored from `source`, and how many distinct events (by UID) among them. */
  count(source: string): Promise<{ events: number; distinct: number }>;
  group: string;
}

async function target(kind: Kind, lakeOptions: LocalLakeOptions = {}): Promise<Target> {
  const lake = await strictLake(lakeOptions);
  const group = `/cloudwatch/${randomUUID().slice(0, 8)}`;
  if (kind === 'lake') {
    return {
      lake,
      kind,
      group,
      options: { channelArn: lake.channelArn },
      async count(source) {
        const rows = await lake.query(`SELECT count(*) AS n, count(DISTINCT eventData.UID) AS d FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${source}'`);
        return { events: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
      },
    };
  }
  return {
    lake,
    kind,
    group,
    options: { logGroupName: group, createLogGroup: true, region: lake.region },
    async count(source) {
      const rows = await lake.query(`SELECT count(*) AS n, count(DISTINCT message.UID) AS d FROM "${group}" WHERE message.eventSource = '${source}'`);
      return { events: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
    },
  };
}

function sinkFor(t: Target, options: Partial<AuditSinkOptions> = {}) {
  const c = collector();
  const sink: AuditSink = createAuditSink({
    ...t.options,
    endpoint: t.lake.endpoint,
    credentials: CREDENTIALS,
    deadLetter: c.handler,
    diagnostics: c.diagnostics,
    retryBaseDelayMs: 20,
    ...options,
  });
  return { sink, ...c };
}

async function sendAll(t: Target, n: number, options: Partial<AuditSinkOptions> = {}, audit: (i: number) => Record<string, unknown> = () => ({})) {
  const source = runId();
  const run = sinkFor(t, options);
  for (let i = 0; i < n; i++) run.sink.add(record(source, i, audit(i)));
  await run.sink.flush();
  return { ...run, source };
}

function logsClient(lake: LocalLake): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint: lake.endpoint, region: lake.region, credentials: CREDENTIALS, maxAttempts: 1 });
}

describe.each(KINDS)('core → %s, strict SigV4', (kind) => {
  it('delivers every event, signed, with the mapped fields queryable', async () => {
    const t = await target(kind);
    const { sink, source, letters } = await sendAll(t, 250);
    expect(letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 250, retried: 0 });
    // Lake: 100 events per request; Logs: one request holds all 250 (and one CreateLogGroup/Stream before).
    expect(sink.stats().requests).toBe(kind === 'lake' ? 3 : 1);
    expect(await t.count(source)).toEqual({ events: 250, distinct: 250 });
    const who = kind === 'lake' ? 'eventData.userIdentity.principalId' : 'message.userIdentity.principalId';
    const from = kind === 'lake' ? t.lake.eventDataStoreId : `"${t.group}"`;
    const field = kind === 'lake' ? 'eventData' : 'message';
    expect(await t.lake.query(`SELECT ${who} AS who, element_at(${field}.additionalEventData, 'message') AS message FROM ${from} WHERE ${field}.UID = '${source}-7'`)).toEqual([{ who: 'user-7', message: 'event 7' }]);
    await sink.shutdown();
    expectInvariant(sink.stats());
  });

  it.each([
    ['throttling', 'throttle=1@1x2'],
    ['HTTP 503', 'serverError=503@1x3'],
    ['HTTP 500', 'serverError=1x2'],
    ['connection resets before processing', 'reset=1x3'],
    ['all of them at once', 'throttle=0.2,serverError=0.2,reset=0.1,seed=3'],
  ])('delivers exactly once through %s', async (_name, faults) => {
    const t = await target(kind, { faults });
    const { sink, source, letters } = await sendAll(t, 300, { maxBatchEvents: 50 });
    expect(letters).toEqual([]);
    const stats = sink.stats();
    expect(stats.delivered).toBe(300);
    expect(stats.retried).toBeGreaterThan(0);
    expectInvariant(stats);
    expect(await t.count(source)).toEqual({ events: 300, distinct: 300 });
    await sink.shutdown();
  });

  it('resets after the events were stored: every event arrives, some twice (at least once)', async () => {
    const t = await target(kind, { faults: 'resetAfterStore=1x2' });
    const { sink, source, letters } = await sendAll(t, 200, { maxBatchEvents: 50 });
    expect(letters).toEqual([]);
    expectInvariant(sink.stats());
    const counted = await t.count(source);
    expect(counted.distinct).toBe(200);
    expect(counted.events).toBeGreaterThan(200);
    await sink.shutdown();
  });

  it('events the service refuses are dead-lettered with its code, the others delivered', async () => {
    const t = await target(kind, { faults: 'eventRejected=1x5' });
    const { sink, source, letters } = await sendAll(t, 40, { maxBatchEvents: 20 });
    const code = kind === 'lake' ? 'InvalidData' : 'ExpiredLogEvent';
    expect(letters.map((l) => l.reason.code)).toEqual(Array.from({ length: 5 }, () => code));
    expect(letters.every((l) => l.attempts === 1)).toBe(true);
    expect(sink.stats()).toMatchObject({ delivered: 35, deadLettered: { total: 5 } });
    expectInvariant(sink.stats());
    expect(await t.count(source)).toEqual({ events: 35, distinct: 35 });
    await sink.shutdown();
  });

  it('a missing destination is a configuration fault: dead letters without retries, reported once', async () => {
    const t = await target(kind);
    const missing: Partial<AuditSinkOptions> =
      kind === 'lake' ? { channelArn: t.lake.channelArn.replace(/channel\/.*/, 'channel/00000000-0000-0000-0000-000000000000') } : { logGroupName: '/cloudwatch/missing', createLogGroup: false };
    const { sink, letters, messages } = await sendAll(t, 30, { ...missing, maxBatchEvents: 10 });
    expect(letters).toHaveLength(30);
    expect(new Set(letters.map((l) => l.reason.code))).toEqual(new Set([kind === 'lake' ? 'ChannelNotFound' : 'ResourceNotFoundException']));
    expect(letters.every((l) => l.attempts === 1)).toBe(true);
    expect(sink.stats().retried).toBe(0);
    expect(messages.filter((m) => m.level === 'error')).toHaveLength(1);
    expectInvariant(sink.stats());
    await sink.shutdown();
  });
});

describe('CloudWatch Logs only', () => {
  it("a stream deleted while the sink runs is created again; nothing is lost; the group's events are in SQL", async () => {
    const t = await target('logs');
    const source = runId();
    const run = sinkFor(t, { logStreamName: 'app-1' });
    for (let i = 0; i < 20; i++) run.sink.add(record(source, i));
    await run.sink.flush();
    await logsClient(t.lake).send(new DeleteLogStreamCommand({ logGroupName: t.group, logStreamName: 'app-1' }));
    for (let i = 20; i < 40; i++) run.sink.add(record(source, i));
    await run.sink.flush();
    expect(run.letters).toEqual([]);
    expect(run.sink.stats()).toMatchObject({ delivered: 40 });
    expectInvariant(run.sink.stats());
    // The deleted stream's events stay in SQL (the log is append-only); the API shows the new stream's.
    expect(await t.count(source)).toEqual({ events: 40, distinct: 40 });
    await run.sink.shutdown();
  });

  it("events older than the group's retention are rejected by the service as ExpiredLogEvent (not before sending)", async () => {
    const t = await target('logs');
    const client = logsClient(t.lake);
    const source = runId();
    // The group exists first, with a one-day retention the sink cannot know of.
    const run = sinkFor(t, { logStreamName: 'retained' });
    run.sink.add(record(source, 0));
    await run.sink.flush();
    await client.send(new PutRetentionPolicyCommand({ logGroupName: t.group, retentionInDays: 1 }));
    for (let i = 1; i <= 5; i++) run.sink.add(record(source, i, {}, Date.now() - 2 * 86_400_000 + i));
    for (let i = 6; i <= 10; i++) run.sink.add(record(source, i));
    await run.sink.flush();
    expect(run.letters.map((l) => [l.reason.code, l.attempts])).toEqual(Array.from({ length: 5 }, () => ['ExpiredLogEvent', 1]));
    expect(run.sink.stats()).toMatchObject({ delivered: 6 });
    expectInvariant(run.sink.stats());
    await run.sink.shutdown();
  });

  it('the official client plugged in through send delivers into a stream created beforehand', async () => {
    const t = await target('logs');
    const client = logsClient(t.lake);
    const run0 = sinkFor(t, { logStreamName: 'made-by-core' });
    run0.sink.add(record(runId(), 0));
    await run0.sink.shutdown();
    await client.send(new CreateLogStreamCommand({ logGroupName: t.group, logStreamName: 'sdk' }));
    const source = runId();
    const run = sinkFor(t, {
      logStreamName: 'sdk',
      createLogGroup: undefined,
      send: (input: ConstructorParameters<typeof PutLogEventsCommand>[0], options?: { abortSignal?: AbortSignal }) => client.send(new PutLogEventsCommand(input), { abortSignal: options?.abortSignal }),
    });
    for (let i = 0; i < 50; i++) run.sink.add(record(source, i));
    await run.sink.flush();
    expect(run.letters).toEqual([]);
    expect(await t.count(source)).toEqual({ events: 50, distinct: 50 });
    await run.sink.shutdown();
    expectInvariant(run.sink.stats());
  });
});
