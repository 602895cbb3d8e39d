import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backlogCounter, hostBacklog, type HostStream } from '../src/host-backlog.js';
import { fakeLakeForFile } from './fake-lake.js';
import { CHANNEL_ARN } from '../../../test/support/adapter-helpers.js';

// pino loads the transport in a worker thread from the built package (`npx tsc -b` first).
const TARGET = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const lake = fakeLakeForFile();

afterEach(() => vi.restoreAllMocks());

const flushed = (logger: pino.Logger) => new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));

describe('the host backlog with a real pino worker that falls behind', () => {
  it('keeps what the host holds for the worker within maxBytes (plus the line being written), and counts back to 0', async () => {
    const backlog = hostBacklog({ maxBytes: 32 * 1024, maxWaitMs: 60_000 });
    const transport = backlog.bound(
      pino.transport({
        target: TARGET,
        options: { channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, mapModule: fixture('slow-map.mjs'), hostBacklog: backlog.shared },
      }),
    );
    const logger = pino({ name: 'flood' }, transport);
    await once(transport, 'ready');
    // ~1 KB lines, some with characters of two and four UTF-8 bytes (counted alike on both sides),
    // and lines that yield no record: pino's worker parses them, and they count as taken at once.
    const padding = 'x'.repeat(900);
    let highest = 0;
    let longest = 0;
    for (let i = 0; i < 2000; i++) {
      if (i % 100 === 50) transport.write('not json\n');
      if (i % 100 === 60) transport.write('null\n');
      const line = { 'user.id': 'flood-user', audit: { eventName: 'Charge', requestParameters: { i, note: i % 3 === 0 ? `é🙂${padding}` : padding } } };
      longest = Math.max(longest, JSON.stringify(line).length + 200);
      logger.info(line);
      highest = Math.max(highest, backlog.pending());
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    // Without the bound, the host would have held nearly all of the ~2 MB.
    expect(highest).toBeGreaterThan(16 * 1024);
    expect(highest).toBeLessThanOrEqual(32 * 1024 + longest);
    await flushed(logger);
    expect(backlog.pending()).toBe(0);
    const closed = once(transport, 'close');
    transport.end();
    await closed;
    // Every line that held a record reached the lake once (none dead-lettered, none lost).
    await vi.waitFor(() => expect(lake.events).toHaveLength(2000));
    expect(lake.events.map((e) => (e.requestParameters as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });
});

describe('hostBacklog() on its own', () => {
  it('waits at most maxWaitMs per event-loop turn, and not again for a worker that has not moved since', async () => {
    const backlog = hostBacklog({ maxBytes: 100, maxWaitMs: 5 });
    const written: string[] = [];
    const stream = backlog.bound({ write: (data: string) => (written.push(data), true) });
    const wait = vi.spyOn(Atomics, 'wait');
    for (let i = 0; i < 10; i++) expect(stream.write('y'.repeat(49) + '\n')).toBe(true);
    // Two lines fit; the third waits, times out, and the rest pass without waiting.
    expect(wait).toHaveBeenCalledTimes(1);
    expect(written).toHaveLength(10);
    expect(backlog.pending()).toBe(500);
    // The worker takes a line: in this turn the budget is spent, so the host goes on at once.
    backlogCounter(backlog.shared).took(50);
    stream.write('z\n');
    expect(wait).toHaveBeenCalledTimes(1);
    // In the next turn it waits again.
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('z\n');
    expect(wait).toHaveBeenCalledTimes(2);
    // A worker that has not moved since that wait timed out is not waited for.
    stream.write('z\n');
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('z\n');
    expect(wait).toHaveBeenCalledTimes(2);
  });

  it('returns from the wait as soon as the worker has taken enough', async () => {
    const backlog = hostBacklog({ maxBytes: 10, maxWaitMs: 60_000 });
    const stream = backlog.bound<HostStream>({ write: () => true });
    const lines = ['{"n":1}', '{"n":22}'];
    stream.write(lines[0] + '\n');
    // The next write is over the bound; what the worker takes releases it (or the test times out).
    const { Worker } = await import('node:worker_threads');
    const helper = new Worker(
      `const { workerData } = require('node:worker_threads'); const taken = new Int32Array(workerData);
       setTimeout(() => { Atomics.add(taken, 0, 8); Atomics.notify(taken, 0); }, 50);`,
      { eval: true, workerData: backlog.shared },
    );
    stream.write(lines[1] + '\n');
    expect(backlog.pending()).toBe(9);
    await helper.terminate();
  });

  it('counts what the worker took against what the host wrote, across the counters wrapping at 2^32', () => {
    const backlog = hostBacklog({ maxBytes: 2 ** 30 - 1 });
    const stream = backlog.bound<HostStream>({ write: () => true });
    const worker = backlogCounter(backlog.shared);
    const line = 'w'.repeat(2 ** 20 - 1) + '\n';
    for (let i = 0; i < 5000; i++) {
      stream.write(line);
      if (i >= 3) worker.took(line.length);
    }
    expect(backlog.pending()).toBe(3 * line.length);
    for (let i = 0; i < 3; i++) worker.took(line.length);
    expect(backlog.pending()).toBe(0);
  });

  it('does nothing in a worker without a shared counter', () => {
    expect(() => backlogCounter(undefined).took(10)).not.toThrow();
  });

  it('refuses bounds it cannot keep', () => {
    expect(() => hostBacklog({ maxBytes: 0 })).toThrow(RangeError);
    expect(() => hostBacklog({ maxBytes: 2 ** 31 })).toThrow(RangeError);
    expect(() => hostBacklog({ maxWaitMs: -1 })).toThrow(RangeError);
  });
});
