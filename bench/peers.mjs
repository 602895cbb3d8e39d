#!/usr/bin/env node
// auditlake beside the library a user would otherwise pick, per logger: CPU per delivered record
// (whole process: logging thread, worker threads, GC) and peak RSS, for the same burst of the
// same ~1 KB records, each client in its own process, each against the same local fake of its
// endpoint (bench/fake-endpoint.mjs: one server, equal latency, no signature check, no storage).
// Every record must be counted by the fake; the runs of all clients are interleaved.
//
//   node bench/peers.mjs [--records 20000] [--runs 3] [--latency-ms 0] [--only winston,pino,otel]
//                        [--options '{"spoolDir":"/tmp/spool"}']   (auditlake options, as data)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseEnv, caseOptions, resultOrEarlyEnd, spawnCase } from './case-process.mjs';
import { CLIENTS } from './clients.mjs';
import { deadLetterCounter, formatReasons } from './dead-letters.mjs';
import { startFakeEndpoint } from './fake-endpoint.mjs';
import { fmt, jsonObject, machineLine, median, mib, printTable, ratio } from './table.mjs';
import { RECORD_BYTES } from './workload.mjs';

/** Per logger: the auditlake clients and the peer they are compared with (the first peer is the ratio's baseline). */
const GROUPS = [
  { logger: 'winston', ours: ['winston-auditlake', 'winston-auditlake-cwl'], peers: ['winston-cloudwatch'] },
  { logger: 'pino', ours: ['pino-auditlake', 'pino-auditlake-cwl'], peers: ['pino-cloudwatch'] },
  {
    logger: 'otel',
    ours: ['otel-auditlake-processor', 'otel-auditlake-exporter', 'otel-auditlake-processor-cwl'],
    peers: ['otel-otlp-json', 'otel-otlp-proto'],
    // What any client of each API must do for these records (bench/floor-exporters.mjs).
    floors: ['otel-floor-lake', 'otel-floor-cwl'],
  },
];
const floorsOf = (group) => group.floors ?? [];
/** The floor an auditlake client is held to: the one for the API it sends to. */
const floorFor = (group, client) => floorsOf(group).find((floor) => Boolean(CLIENTS[floor].cwl) === Boolean(CLIENTS[client].cwl));

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '0' },
    only: { type: 'string', default: 'winston,pino,otel' },
    options: { type: 'string', default: process.env.BENCH_AUDITLAKE_OPTIONS ?? '' },
  },
});
const records = Number(values.records);
const runs = Number(values.runs);
const latencyMs = Number(values['latency-ms']);
const options = jsonObject(values.options, '--options');
const only = new Set(values.only.split(','));
const groups = GROUPS.filter((g) => only.has(g.logger));
if (!(records > 0 && runs > 0 && latencyMs >= 0) || groups.length === 0) {
  console.error('usage: node bench/peers.mjs [--records n>0] [--runs n>0] [--latency-ms n>=0] [--only winston,pino,otel] [--options <json>]');
  process.exit(2);
}

const machine = machineLine();
const scratch = mkdtempSync(join(tmpdir(), 'auditlake-bench-peers-'));

async function measure(client, run) {
  const fake = await startFakeEndpoint({ latencyMs });
  const deadLetter = join(scratch, `${client}-${run}.jsonl`);
  try {
    const key = `${client}-${run}`;
    const spec = { client, key, endpoint: fake.url, records, mode: 'burst', options: caseOptions(options, key), queue: records };
    const result = await resultOrEarlyEnd(spawnCase(spec, caseEnv({ endpoint: fake.url, deadLetter })));
    const counts = fake.counts();
    return { ...result, counts, letters: deadLetterCounter(deadLetter).poll() };
  } finally {
    await fake.close();
  }
}

try {
  const results = new Map();
  const clients = groups.flatMap((g) => [...g.peers, ...floorsOf(g), ...g.ours]);
  for (let run = 0; run < runs; run++) {
    for (const client of clients) {
      const result = await measure(client, run);
      if (!results.has(client)) results.set(client, []);
      results.get(client).push(result);
      process.stderr.write(`peers: run ${run + 1}/${runs} ${client}: ${fmt(result.counts.distinct)} delivered, ${fmt(result.cpuUs / Math.max(1, result.counts.distinct), 1)} µs/record\n`);
    }
  }

  const summary = (client) => {
    const list = results.get(client);
    return {
      delivered: Math.min(...list.map((r) => r.counts.distinct)),
      duplicates: Math.max(...list.map((r) => r.counts.duplicates)),
      cpu: median(list.map((r) => r.cpuUs / Math.max(1, r.counts.distinct))),
      peak: median(list.map((r) => r.peakRss)),
      baseline: median(list.map((r) => r.baselineRss)),
      wall: median(list.map((r) => r.wallMs)),
      faults: median(list.map((r) => r.minorFaults / Math.max(1, r.counts.distinct))),
      wire: median(list.map((r) => r.counts.bytes / Math.max(1, r.counts.records))),
      letters: list.flatMap((r) => Object.entries(r.letters.byReason)).reduce((all, [code, n]) => ({ ...all, [code]: (all[code] ?? 0) + n }), {}),
      endedEarly: list.filter((r) => r.endedEarly).length,
    };
  };

  console.log(`\n## auditlake beside its peers: ${fmt(records)} records of ~${fmt(RECORD_BYTES)} B in one burst, then each library's documented shutdown`);
  console.log(machine);
  console.log(
    `Median of ${runs} runs, each client in its own process, runs interleaved; CPU is the whole process's (all threads) from the first record to the end of the shutdown, per record the fake endpoint counted; ratios are auditlake / the first peer of the same logger, from the same run; "CPU / floor" is auditlake / the floor client of the same API (bench/floor-exporters.mjs: the same eventData, nothing but what the wire format requires). Fake endpoint latency: ${latencyMs} ms. auditlake options: ${JSON.stringify(options)}.\n`,
  );
  const rows = [];
  for (const group of groups) {
    const base = summary(group.peers[0]);
    for (const client of [...group.peers, ...floorsOf(group), ...group.ours]) {
      const s = summary(client);
      const mine = CLIENTS[client].side === 'auditlake';
      const floor = mine ? floorFor(group, client) : undefined;
      rows.push([
        `${group.logger}: ${CLIENTS[client].label}`,
        `${fmt(s.delivered)} / ${fmt(records)}`,
        fmt(s.cpu, 1),
        mine ? ratio(s.cpu, base.cpu) : client === group.peers[0] ? 'baseline' : ratio(s.cpu, base.cpu),
        floor ? ratio(s.cpu, summary(floor).cpu) : '',
        `${mib(s.peak)} (${mib(s.baseline)})`,
        mine ? ratio(s.peak, base.peak) : client === group.peers[0] ? 'baseline' : ratio(s.peak, base.peak),
        fmt(s.wall / 1000, 1),
        fmt(s.faults, 2),
        fmt(s.wire),
        `${fmt(s.duplicates)} / ${formatReasons(s.letters)}${s.endedEarly ? `; process ended before its shutdown resolved in ${s.endedEarly} of ${runs} runs` : ''}`,
      ]);
    }
  }
  printTable(['logger: client', 'delivered (min)', 'CPU µs / delivered record', 'CPU ratio', 'CPU / floor', 'peak RSS MiB (before burst)', 'RSS ratio', 'wall s', 'page faults / record', 'wire B / record', 'duplicates / dead letters'], rows);
  const short = [...results.entries()].filter(([, list]) => list.some((r) => r.counts.distinct < records));
  for (const [client, list] of short) console.log(`\nNot every record arrived for ${client}: ${list.map((r) => fmt(r.counts.distinct)).join(', ')} of ${fmt(records)} per run; its CPU per record is per record that did arrive.`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
