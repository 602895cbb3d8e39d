import { CreateLogGroupCommand, CreateLogStreamCommand, FilterLogEventsCommand, GetLogEventsCommand, PutLogEventsCommand, PutRetentionPolicyCommand, type FilterLogEventsCommandInput, type GetLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { lake } from './helpers.js';
import { awsError, DAY, logsClient } from './logs-helpers.js';

// GetLogEvents and FilterLogEvents, with the official client, the lake in strict mode.

const T = Date.now() - DAY;
let l: LocalLake;
let client: ReturnType<typeof logsClient>;

/** A group with streams of events, sent `batch` events per PutLogEvents call. */
async function group(name: string, streams: Record<string, { timestamp: number; message: string }[]>, batch = 1000): Promise<void> {
  await client.send(new CreateLogGroupCommand({ logGroupName: name }));
  for (const [stream, events] of Object.entries(streams)) {
    await client.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: stream }));
    for (let i = 0; i < events.length; i += batch) await client.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: stream, logEvents: events.slice(i, i + batch) }));
  }
}

const numbered = (n: number, from = T) => Array.from({ length: n }, (_, i) => ({ timestamp: from + i, message: `m${i}` }));

beforeAll(async () => {
  l = await lake({ strictAuth: true });
  client = logsClient(l);
  await group('/read/get', { s: numbered(25) });
});

/** Every page GetLogEvents gives, following one kind of token until the service gives it back. */
async function allPages(input: GetLogEventsCommandInput, follow: 'nextForwardToken' | 'nextBackwardToken'): Promise<string[][]> {
  const pages: string[][] = [];
  let token: string | undefined;
  for (;;) {
    const out = await client.send(new GetLogEventsCommand({ ...input, nextToken: token }));
    pages.push((out.events ?? []).map((e) => e.message as string));
    const next = out[follow];
    expect(next).toBeDefined();
    if (next === token) return pages;
    token = next;
  }
}

describe('GetLogEvents', () => {
  it('without a token: the newest page by default, the oldest with startFromHead, each in ascending order', async () => {
    const newest = await client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 's', limit: 3 }));
    expect(newest.events?.map((e) => e.message)).toEqual(['m22', 'm23', 'm24']);
    expect(newest.events?.[0]).toEqual({ timestamp: T + 22, message: 'm22', ingestionTime: expect.any(Number) as unknown });
    const oldest = await client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 's', limit: 3, startFromHead: true }));
    expect(oldest.events?.map((e) => e.message)).toEqual(['m0', 'm1', 'm2']);
    expect(oldest.nextForwardToken).toMatch(/^f\/\d+\/s$/);
    expect(oldest.nextBackwardToken).toMatch(/^b\/\d+\/s$/);
  });

  it('forward tokens page to the end, where the same token comes back', async () => {
    const pages = await allPages({ logGroupName: '/read/get', logStreamName: 's', limit: 10, startFromHead: true }, 'nextForwardToken');
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5, 0]);
    expect(pages.flat()).toEqual(numbered(25).map((e) => e.message));
  });

  it('backward tokens page to the start, where the same token comes back', async () => {
    const pages = await allPages({ logGroupName: '/read/get', logStreamName: 's', limit: 10 }, 'nextBackwardToken');
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5, 0]);
    expect(pages.reverse().flat()).toEqual(numbered(25).map((e) => e.message));
  });

  it('a forward token at the end picks up events that arrive later; the backward token of an empty page points back', async () => {
    await group('/read/tail', { s: numbered(2) });
    const first = await client.send(new GetLogEventsCommand({ logGroupName: '/read/tail', logStreamName: 's', startFromHead: true }));
    const end = await client.send(new GetLogEventsCommand({ logGroupName: '/read/tail', logStreamName: 's', nextToken: first.nextForwardToken }));
    expect([end.events, end.nextForwardToken]).toEqual([[], first.nextForwardToken]);
    const back = await client.send(new GetLogEventsCommand({ logGroupName: '/read/tail', logStreamName: 's', nextToken: end.nextBackwardToken }));
    expect(back.events?.map((e) => e.message)).toEqual(['m0', 'm1']);
    await client.send(new PutLogEventsCommand({ logGroupName: '/read/tail', logStreamName: 's', logEvents: [{ timestamp: T + 5, message: 'later' }] }));
    const more = await client.send(new GetLogEventsCommand({ logGroupName: '/read/tail', logStreamName: 's', nextToken: end.nextForwardToken }));
    expect(more.events?.map((e) => e.message)).toEqual(['later']);
  });

  it('startTime is inclusive, endTime exclusive', async () => {
    const out = await client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 's', startTime: T + 5, endTime: T + 8, startFromHead: true }));
    expect(out.events?.map((e) => e.message)).toEqual(['m5', 'm6', 'm7']);
  });

  it('a page holds at most 1 MB of events (message bytes + 26)', async () => {
    const big = 'x'.repeat(400_000);
    await group('/read/big', { s: [0, 1, 2, 3].map((i) => ({ timestamp: T + i, message: big })) }, 1);
    const pages = await allPages({ logGroupName: '/read/big', logStreamName: 's', startFromHead: true }, 'nextForwardToken');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 0]);
  });

  it('refuses a token it did not make, and a missing stream', async () => {
    expect((await awsError(client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 's', nextToken: 'f/123' })))).name).toBe('InvalidParameterException');
    expect((await awsError(client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 'none' })))).message).toBe('The specified log stream does not exist.');
    expect((await awsError(client.send(new GetLogEventsCommand({ logGroupName: '/read/get', logStreamName: 's', nextToken: '' })))).message).toBe(
      "1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it("hides events older than the group's retention", async () => {
    await group('/read/retention', { s: [{ timestamp: Date.now() - 5 * DAY, message: 'old' }, { timestamp: Date.now() - 1000, message: 'new' }] }, 1);
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/read/retention', retentionInDays: 3 }));
    const out = await client.send(new GetLogEventsCommand({ logGroupName: '/read/retention', logStreamName: 's', startFromHead: true }));
    expect(out.events?.map((e) => e.message)).toEqual(['new']);
  });
});

describe('FilterLogEvents', () => {
  beforeAll(async () => {
    await group('/read/filter', {
      api: [
        { timestamp: T + 1, message: '{"eventName":"Login","userIdentity":{"principalId":"alice"},"latency":120,"tags":["a","b"],"ok":true}' },
        { timestamp: T + 4, message: '{"eventName":"Logout","userIdentity":{"principalId":"bob"},"latency":20,"ok":false,"gone":null}' },
        { timestamp: T + 6, message: 'ERROR Internal Server Error in handler' },
      ],
      worker: [
        { timestamp: T + 2, message: 'WARN queue is slow' },
        { timestamp: T + 3, message: 'ERROR Exception: boom' },
        { timestamp: T + 5, message: '{"eventName":"Login","userIdentity":{"principalId":"carol"},"latency":300}' },
      ],
      'api-2': [{ timestamp: T, message: 'INFO started' }],
    });
  });

  const filter = async (input: Omit<FilterLogEventsCommandInput, 'logGroupName'>) => {
    const out = await client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', ...input }));
    return (out.events ?? []).map((e) => `${e.logStreamName}:${e.message?.slice(0, 24)}`);
  };

  it('merges the streams by timestamp; each event carries its stream, ingestion time and id', async () => {
    const out = await client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter' }));
    expect(out.events?.map((e) => e.timestamp)).toEqual([T, T + 1, T + 2, T + 3, T + 4, T + 5, T + 6]);
    expect(out.events?.[0]).toEqual({ logStreamName: 'api-2', timestamp: T, message: 'INFO started', ingestionTime: expect.any(Number) as unknown, eventId: expect.stringMatching(/^\d+$/) as unknown });
    expect(new Set(out.events?.map((e) => e.eventId)).size).toBe(7);
    expect(out.searchedLogStreams).toEqual([]);
    expect(out.nextToken).toBeUndefined();
  });

  it('terms, quoted phrases, ?either, -not, %regex%', async () => {
    expect(await filter({ filterPattern: 'ERROR' })).toEqual(['worker:ERROR Exception: boom', 'api:ERROR Internal Server Er']);
    expect(await filter({ filterPattern: 'ERROR Exception' })).toEqual(['worker:ERROR Exception: boom']);
    expect(await filter({ filterPattern: '"Internal Server Error"' })).toEqual(['api:ERROR Internal Server Er']);
    expect(await filter({ filterPattern: '?WARN ?Exception' })).toEqual(['worker:WARN queue is slow', 'worker:ERROR Exception: boom']);
    expect(await filter({ filterPattern: 'ERROR -Exception' })).toEqual(['api:ERROR Internal Server Er']);
    expect(await filter({ filterPattern: 'error' })).toEqual([]);
    expect(await filter({ filterPattern: '%ERROR|WARN%' })).toHaveLength(3);
  });

  it('JSON patterns: strings, wildcards, numbers, booleans, null, NOT EXISTS, arrays, && || and parentheses', async () => {
    expect(await filter({ filterPattern: '{ $.eventName = "Login" }' })).toEqual(['api:{"eventName":"Login","us', 'worker:{"eventName":"Login","us']);
    expect(await filter({ filterPattern: '{ $.userIdentity.principalId = "bob" }' })).toEqual(['api:{"eventName":"Logout","u']);
    expect(await filter({ filterPattern: '{ $.eventName = Log* }' })).toHaveLength(3);
    expect(await filter({ filterPattern: '{ $.eventName != "Login" }' })).toEqual(['api:{"eventName":"Logout","u']);
    expect(await filter({ filterPattern: '{ $.latency >= 120 }' })).toHaveLength(2);
    expect(await filter({ filterPattern: '{ ($.latency < 100) || ($.userIdentity.principalId = "carol") }' })).toHaveLength(2);
    expect(await filter({ filterPattern: '{ $.eventName = "Login" && $.latency > 200 }' })).toEqual(['worker:{"eventName":"Login","us']);
    expect(await filter({ filterPattern: '{ $.ok IS TRUE }' })).toHaveLength(1);
    expect(await filter({ filterPattern: '{ $.gone IS NULL }' })).toHaveLength(1);
    expect(await filter({ filterPattern: '{ $.ok NOT EXISTS }' })).toEqual(['worker:{"eventName":"Login","us']);
    expect(await filter({ filterPattern: '{ $.tags[1] = "b" }' })).toHaveLength(1);
  });

  it('refuses a pattern it cannot read, naming why', async () => {
    const error = await awsError(client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', filterPattern: '{ $.a = }' })));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(/^Invalid filter pattern "\{ \$\.a = \}": a comparison needs a value/);
    expect((await awsError(client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', filterPattern: '{ $.a = 1' })))).message).toMatch(/a JSON pattern ends with \}/);
    expect((await awsError(client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', filterPattern: '[ip, user]' })))).message).toMatch(/space-delimited/);
  });

  it('logStreamNames, logStreamNamePrefix (not both), and the time window', async () => {
    expect(await filter({ logStreamNames: ['worker'], filterPattern: 'ERROR' })).toEqual(['worker:ERROR Exception: boom']);
    expect(await filter({ logStreamNamePrefix: 'api' })).toHaveLength(4);
    expect(await filter({ startTime: T + 2, endTime: T + 4 })).toEqual(['worker:WARN queue is slow', 'worker:ERROR Exception: boom']);
    expect((await awsError(client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', logStreamNames: ['api'], logStreamNamePrefix: 'a' })))).name).toBe('InvalidParameterException');
  });

  it('pages with nextToken, and gives none after the last match', async () => {
    await group('/read/paged', { a: numbered(30, T).filter((_, i) => i % 2 === 0), b: numbered(30, T).filter((_, i) => i % 2 === 1) });
    const seen: number[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(new FilterLogEventsCommand({ logGroupName: '/read/paged', limit: 10, nextToken, filterPattern: 'm' }));
      seen.push(...(out.events ?? []).map((e) => (e.timestamp as number) - T));
      nextToken = out.nextToken;
      pages++;
    } while (nextToken !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect((await awsError(client.send(new FilterLogEventsCommand({ logGroupName: '/read/filter', nextToken: 'not ours' })))).name).toBe('InvalidParameterException');
  });
});
