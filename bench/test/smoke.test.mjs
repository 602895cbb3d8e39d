// Every bench, shrunk to seconds, against the packages as built: a bench that an API change
// broke fails here rather than on the day someone needs its figures. Nothing here is timed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bench = (file) => fileURLToPath(new URL(`../${file}`, import.meta.url));

async function run(file, args = [], env = {}) {
  const child = spawn(process.execPath, [bench(file), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

/** The rows of the first Markdown table printed after `title`. */
function rowsAfter(stdout, title) {
  const lines = stdout.slice(stdout.indexOf(title)).split('\n');
  const first = lines.findIndex((line) => line.startsWith('| '));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('| '));
  return lines
    .slice(first + 2, end === -1 ? undefined : end)
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('benches, shrunk', { timeout: 180_000 }, () => {
  it('core: the pipeline beside its floor, and the spool comparison', async () => {
    const { code, stdout, stderr } = await run('core.mjs', [], { BENCH_RUNS: '1', BENCH_SCALE: '0.01' });
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, '## core pipeline').map((row) => `${row[0]}, ${row[2]}`)).toEqual([
      '1 KB events, one loop',
      '1 KB events, a turn every 100',
      '20 KB events, one loop',
      '20 KB events, a turn every 100',
    ]);
    expect(stdout).toMatch(/Machine: .+ cores/);
  });

  it('lake: the local lake beside a null server', async () => {
    const { code, stdout, stderr } = await run('local-lake.mjs', ['--seconds', '1', '--runs', '1', '--clients', '1']);
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, '## local lake').map((row) => row[0])).toEqual(['null server (fake endpoint)', 'local lake']);
  });

  it('lake-scale: ingest, restarts and queries of a lake in its own process', async () => {
    const { code, stdout, stderr } = await run('local-lake-scale.mjs', ['--events', '3000', '--runs', '1', '--clients', '1']);
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, 'local lake at scale').map((row) => row[0])).toContain('warm count(*), s');
  });

  it('spool-recovery: a new process sends what the first left in the spool, each event once', async () => {
    const { code, stdout, stderr } = await run('spool-recovery.mjs', ['--events', '500', '--runs', '1']);
    expect(code, stderr).toBe(0);
    const [row] = rowsAfter(stdout, '## Recovering');
    expect(row?.[0]).toBe('500');
    expect(row?.at(-2)).toBe('500 (500)');
  });

  it('exit-cost: process.exit() persists every undelivered event, as letters or in the spool', async () => {
    const { code, stdout, stderr } = await run('exit-cost.mjs', ['--events', '300', '--runs', '1']);
    expect(code, stderr).toBe(0);
    const rows = rowsAfter(stdout, '## The exit listener');
    expect(rows.map((row) => [row[0], row[1], row[3]])).toEqual([
      ['no spool', '300', '300 Exit letters'],
      ['spool', '300', 'left in the spool'],
    ]);
  });

  it('otel-emit: both processors emit every record; auditlake delivers each', async () => {
    const { code, stdout, stderr } = await run('otel-emit.mjs', ['--records', '500', '--runs', '1']);
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, '## OTel emit loop').map((row) => row[0])).toEqual(['BatchLogRecordProcessor + discarding exporter', 'AuditLakeLogRecordProcessor']);
  });

  it('destinations: CloudTrail Lake and CloudWatch Logs in one run', async () => {
    const { code, stdout, stderr } = await run('destinations.mjs', ['--events', '2000', '--latency-ms', '1']);
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, '## destinations').map((row) => row[0])).toEqual(['CloudTrail Lake', 'CloudWatch Logs']);
  });

  it('front ends: each beside its logger, every record in the lake', async () => {
    const { code, stdout, stderr } = await run('front-ends.mjs', [], { BENCH_RECORDS: '200', BENCH_RUNS: '1' });
    expect(code, stderr).toBe(0);
    const rows = rowsAfter(stdout, '## front ends');
    expect(rows).toHaveLength(5);
    for (const row of rows.slice(0, 4)) expect(row[7]).toBe('200 / 200');
  });

  it('peers: every client delivers every record to the fake', async () => {
    const { code, stdout, stderr } = await run('peers.mjs', ['--records', '200', '--runs', '1', '--only', 'winston,otel']);
    expect(code, stderr).toBe(0);
    const rows = rowsAfter(stdout, '## auditlake beside its peers');
    // winston: 3; otel: 2 peers, 2 floors, 3 of ours.
    expect(rows.length).toBe(10);
    for (const row of rows) expect(row[1]).toBe('200 / 200');
    // Page faults per record: counted in every client's process.
    for (const row of rows) expect(row[8]).toMatch(/^\d[\d,]*\.\d\d$/);
    // Each OTel client of ours is held to the floor of the API it sends to, and only those are.
    const floored = rows.filter((row) => row[4] !== '').map((row) => row[0]);
    expect(floored).toEqual(['otel: AuditLakeLogRecordProcessor', 'otel: BatchLogRecordProcessor + AuditLakeLogRecordExporter', 'otel: AuditLakeLogRecordProcessor → CloudWatch Logs']);
  });

  it('faults: a burst under throttling and resets, accounted for', async () => {
    const { code, stdout, stderr } = await run('faults.mjs', ['--records', '200', '--runs', '1', '--only', 'otel']);
    expect(code, stderr).toBe(0);
    expect(rowsAfter(stdout, '## 200 records in one burst').map((row) => row[0])).toHaveLength(4);
  });

  it('outage: an outage with and without a spool, every record accounted for', async () => {
    const { code, stdout, stderr } = await run('outage.mjs', ['--records', '300', '--outage-ms', '500', '--runs', '1', '--only', 'otel', '--settle-ms', '20000']);
    expect(code, stderr).toBe(0);
    const rows = rowsAfter(stdout, '## outage');
    expect(rows.map((row) => row[0])).toEqual(['otel, no spool', 'otel, spool']);
    for (const row of rows) if (row[1] !== 'unavailable') expect(row[6]).toBe('0');
  });
});
