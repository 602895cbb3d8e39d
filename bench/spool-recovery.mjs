#!/usr/bin/env node
// Time to recover and send spooled events (issue 7): one process accepts N audit records into
// its spool while the endpoint refuses connections and ends (its shutdown leaves them on disk);
// a new process starts a sink on the same spool directory with the endpoint back (the real local
// lake, SigV4) and sends them. Measured in the second process, from `createAuditSink()` to the
// last event acknowledged: wall time, events/s, CPU and peak RSS; then the lake's SQL count says
// whether every event arrived exactly once. Each phase runs in its own process.
//
//   node bench/spool-recovery.mjs [--events 100000] [--runs 3] [--options '{"maxSpoolBytes":2147483648}']
import { createAuditSink } from '@auditlake/core';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLakeProcess } from './lake-process.mjs';
import { fmt, jsonObject, machineLine, median, mib, printTable } from './table.mjs';
import { sinkRecord } from './workload.mjs';

const self = fileURLToPath(import.meta.url);

/** The sink's options in both phases: only the endpoint differs. */
function sinkOptions(phase) {
  return {
    ...phase.options,
    channelArn: phase.channelArn,
    endpoint: phase.endpoint,
    credentials: phase.credentials,
    region: 'us-east-1',
    spoolDir: phase.spoolDir,
    deadLetter: phase.deadLetter,
  };
}

/** Phase 1, in a child: accept every record into the spool, then shut down without delivering. */
async function spoolAll(phase) {
  const sink = createAuditSink({ ...sinkOptions(phase), shutdownTimeoutMs: 1000 });
  for (let i = 0; i < phase.events; i++) {
    await sink.waitForCapacity();
    sink.add(sinkRecord(i, 'bench-recovery'));
  }
  await sink.shutdown();
  const stats = sink.stats();
  if (stats.deadLettered.total > 0) console.error(JSON.stringify(stats.deadLettered));
  return { accepted: stats.acceptedEvents, delivered: stats.delivered, deadLettered: stats.deadLettered.total };
}

/** Phase 2, in a child: a new sink on the same spool sends what the first one left. */
async function recoverAll(phase) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let delivered = 0;
  let done;
  const all = new Promise((resolve) => (done = resolve));
  const sink = createAuditSink({
    ...sinkOptions(phase),
    onDelivered: (events) => {
      delivered += events.length;
      if (delivered >= phase.events) done();
    },
  });
  await all;
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await sink.shutdown();
  const stats = sink.stats();
  return { wallMs, cpuMs: (used.user + used.system) / 1000, peakRss: process.resourceUsage().maxRSS * 1024, recovered: stats.recovered, delivered: stats.delivered, deadLettered: stats.deadLettered.total };
}

function inChild(role, phase) {
  const child = fork(self, ['--child', role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(phase);
  return Promise.race([
    once(child, 'message').then(([message]) => message),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`${role} exited with ${code} before it reported`))),
  ]);
}

if (process.argv[2] === '--child') {
  const [phase] = await once(process, 'message');
  const result = process.argv[3] === 'spool' ? await spoolAll(phase) : await recoverAll(phase);
  process.send(result, () => process.exit(0));
} else {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '3' },
      options: { type: 'string', default: process.env.BENCH_AUDITLAKE_OPTIONS ?? '' },
    },
  });
  const events = Number(values.events);
  const runs = Number(values.runs);
  if (!(Number.isInteger(events) && events > 0 && Number.isInteger(runs) && runs > 0)) {
    console.error("usage: node bench/spool-recovery.mjs [--events n] [--runs n] [--options '<json>']");
    process.exit(2);
  }
  const options = jsonObject(values.options, '--options');
  const machine = machineLine();
  const scratch = mkdtempSync(join(tmpdir(), 'auditlake-bench-recovery-'));
  const results = [];
  try {
    for (let run = 0; run < runs; run++) {
      const lake = await startLakeProcess({ dataDir: join(scratch, `lake-${run}`) });
      try {
        const phase = { events, options, channelArn: lake.channelArn, credentials: lake.credentials, spoolDir: join(scratch, `spool-${run}`), deadLetter: join(scratch, `dead-${run}.jsonl`) };
        // Nothing listens on port 1: every request is refused, so everything stays in the spool.
        const spooled = await inChild('spool', { ...phase, endpoint: 'http://127.0.0.1:1' });
        if (spooled.accepted !== events || spooled.delivered !== 0 || spooled.deadLettered !== 0) throw new Error(`the first process did not leave everything in the spool: ${JSON.stringify(spooled)}`);
        const recovered = await inChild('recover', { ...phase, endpoint: lake.endpoint });
        if (recovered.recovered !== events) throw new Error(`the second process took over ${recovered.recovered} of ${events} spooled events`);
        const [{ n, ids }] = await lake.query(`SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM ${lake.eventDataStoreId}`);
        results.push({ ...recovered, stored: Number(n), distinct: Number(ids) });
        console.error(`spool-recovery: run ${run + 1}/${runs}: ${fmt(events)} in ${fmt(recovered.wallMs)} ms, lake holds ${fmt(Number(n))} (${fmt(Number(ids))} distinct)`);
      } finally {
        await lake.close();
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const m = (key) => median(results.map((r) => r[key]));
  const range = (key, f) => `${f(m(key))} (${f(Math.min(...results.map((r) => r[key])))}–${f(Math.max(...results.map((r) => r[key])))})`;
  console.log(`\n## Recovering ${fmt(events)} spooled events into the local lake (a new process on the spool, the endpoint back)`);
  console.log(machine);
  console.log(`Median (min–max) of ${runs} runs, each phase in its own process. Options: ${JSON.stringify(options)}.`);
  printTable(
    ['events', 'recover and send, s', 'events/s', 'CPU per event', 'peak RSS MiB', 'stored in the lake (distinct ids)', 'dead-lettered'],
    [[
      fmt(events),
      range('wallMs', (ms) => fmt(ms / 1000, 1)),
      fmt(events / (m('wallMs') / 1000)),
      `${fmt((m('cpuMs') * 1000) / events, 1)} µs`,
      range('peakRss', mib),
      results.map((r) => `${fmt(r.stored)} (${fmt(r.distinct)})`).join(', '),
      fmt(Math.max(...results.map((r) => r.deadLettered))),
    ]],
  );
}
