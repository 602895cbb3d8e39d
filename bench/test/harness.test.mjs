// The parts of the harness a figure depends on: counting dead letters by reason as they are
// appended, and one case process end to end (spawn, log, shut down, report) for an auditlake
// client and a peer, each checked against the fake endpoint's count.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caseEnv, spawnCase } from '../case-process.mjs';
import { deadLetterCounter, formatReasons, summarizeReasons } from '../dead-letters.mjs';
import { median } from '../table.mjs';
import { startFakeEndpoint } from '../fake-endpoint.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'auditlake-bench-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const letter = (code) => `${JSON.stringify({ event: { id: 'x', eventData: '{"é":1}' }, reason: { code, message: 'm' }, time: 't', attempts: 1 })}\n`;

describe('dead-letter counter', () => {
  it('counts by reason what was appended since the last poll, and waits for a torn line to end', () => {
    const file = join(scratch, 'letters.jsonl');
    const counter = deadLetterCounter(file);
    expect(counter.poll()).toEqual({ total: 0, byReason: {}, unreadable: 0 });
    appendFileSync(file, letter('QueueFull') + letter('QueueFull') + letter('Shutdown'));
    expect(counter.poll()).toMatchObject({ total: 3, byReason: { QueueFull: 2, Shutdown: 1 } });
    const torn = letter('RetryDeadline');
    // A letter half written (cut inside the two-byte "é"): not counted until its line ends.
    const cut = Buffer.from(torn).indexOf(0xa9);
    appendFileSync(file, Buffer.from(torn).subarray(0, cut));
    expect(counter.poll().total).toBe(3);
    appendFileSync(file, Buffer.from(torn).subarray(cut));
    appendFileSync(file, 'not json\n');
    expect(counter.poll()).toEqual({ total: 4, byReason: { QueueFull: 2, Shutdown: 1, RetryDeadline: 1 }, unreadable: 1 });
    expect(formatReasons({ Shutdown: 1, QueueFull: 2 })).toBe('QueueFull 2, Shutdown 1');
  });

  it('summarizes several runs by reason: the median, and the range when the runs differ', () => {
    const runs = [{ QueueFull: 12_000 }, { QueueFull: 7_700, Shutdown: 100 }, {}];
    expect(summarizeReasons(runs, median)).toBe('QueueFull 7,700 (0–12,000), Shutdown 0 (0–100)');
    expect(summarizeReasons([{ A: 2 }, { A: 2 }], median)).toBe('A 2');
    expect(summarizeReasons([{}, {}], median)).toBe('none');
  });
});

describe('a case in its own process', () => {
  for (const client of ['winston-auditlake', 'otel-otlp-json']) {
    it(`${client}: logs, shuts down, reports its CPU and RSS, and the fake counts every record`, async () => {
      const fake = await startFakeEndpoint();
      try {
        const deadLetter = join(scratch, `${client}.jsonl`);
        const running = spawnCase({ client, key: client, endpoint: fake.url, records: 300, mode: 'burst', queue: 300 }, caseEnv({ endpoint: fake.url, deadLetter }));
        expect(await running.logged).toMatchObject({ type: 'logged' });
        const result = await running.result;
        expect(result.cpuUs).toBeGreaterThan(0);
        expect(result.peakRss).toBeGreaterThanOrEqual(result.baselineRss);
        expect(fake.counts()).toMatchObject({ distinct: 300, duplicates: 0, unmarked: 0 });
        expect(deadLetterCounter(deadLetter).poll().total).toBe(0);
      } finally {
        await fake.close();
      }
    });
  }

  it('rejects with the child’s stderr when the case cannot run', async () => {
    const running = spawnCase({ client: 'no-such-client', key: 'k', endpoint: 'http://127.0.0.1:1', records: 1, mode: 'burst' });
    await expect(running.result).rejects.toThrow(/unknown client "no-such-client"/);
  });
});
