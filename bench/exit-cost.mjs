#!/usr/bin/env node
// What the exit listener costs (issue 7: "well under 50 ms for 10,000 events"): a process adds
// N ~1 KB audit events while nothing listens at the endpoint, then calls process.exit() without
// shutdown. auditlake's synchronous 'exit' listener persists what is undelivered: appended to the
// dead-letter file with reason Exit (no spool), or left in the spool for the next process. The
// child times the listeners between one of its own registered before the sink and one after it,
// and counts what was persisted. Each run in its own process; medians.
//
//   node bench/exit-cost.mjs [--events 10000] [--runs 5]
import { createAuditSink } from '@auditlake/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, machineLine, median, printTable } from './table.mjs';
import { BENCH_CHANNEL_ARN, BENCH_CREDENTIALS } from './case-process.mjs';
import { sinkRecord } from './workload.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const [, , , events, dir, spool] = process.argv;
  let before = 0;
  let undelivered = 0;
  process.on('exit', () => {
    const stats = sink.stats();
    undelivered = stats.queuedEvents + stats.inFlightEvents;
    before = performance.now();
  });
  const sink = createAuditSink({
    channelArn: BENCH_CHANNEL_ARN,
    endpoint: 'http://127.0.0.1:1',
    credentials: BENCH_CREDENTIALS,
    region: 'us-east-1',
    deadLetter: join(dir, 'dead.jsonl'),
    ...(spool === 'spool' ? { spoolDir: join(dir, 'spool') } : {}),
  });
  process.on('exit', () => writeSync(1, JSON.stringify({ listenerMs: performance.now() - before, queued: undelivered }) + '\n'));
  for (let i = 0; i < Number(events); i++) sink.add(sinkRecord(i, 'bench-exit'));
  // Let the first requests fail, as in a process that has been running for a moment.
  setTimeout(() => process.exit(0), 200);
} else {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } } });
  const events = Number(values.events);
  const runs = Number(values.runs);
  const machine = machineLine();
  const rows = [];
  for (const mode of ['no spool', 'spool']) {
    const results = [];
    for (let run = 0; run < runs; run++) {
      const dir = mkdtempSync(join(tmpdir(), 'auditlake-bench-exit-'));
      try {
        const child = spawnSync(process.execPath, [self, '--child', String(events), dir, mode === 'spool' ? 'spool' : 'none'], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`the child failed (${child.status}): ${child.stderr}`);
        const measured = JSON.parse(child.stdout.trim().split('\n').at(-1));
        const letters = mode === 'spool' ? 0 : readFileSync(join(dir, 'dead.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"Exit"')).length;
        results.push({ ...measured, letters, stderr: child.stderr.trim().split('\n').at(-1) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const ms = results.map((r) => r.listenerMs);
    rows.push([mode, fmt(median(results.map((r) => r.queued))), `${fmt(median(ms), 1)} (${fmt(Math.min(...ms), 1)}–${fmt(Math.max(...ms), 1)})`, mode === 'spool' ? 'left in the spool' : `${fmt(median(results.map((r) => r.letters)))} Exit letters`, results[0].stderr]);
  }
  console.log(`\n## The exit listener: process.exit() with ${fmt(events)} undelivered ~1 KB events`);
  console.log(machine);
  console.log(`Median (min–max) of ${runs} runs, each in its own process.`);
  printTable(['mode', 'undelivered at exit', 'exit listener ms', 'persisted', 'stderr'], rows);
}
