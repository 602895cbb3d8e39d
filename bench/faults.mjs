#!/usr/bin/env node
// A burst under moderate faults (issue 7): 20,000 records logged in one synchronous burst while
// the endpoint throttles 20 % of requests and resets 5 % of connections, then each library's
// documented shutdown. Per front end with DEFAULT options: the share delivered, dead-lettered
// by reason, lost without a trace, and duplicates. A control run without faults separates
// what the burst alone costs from what the faults cost.
//
// auditlake sends to the real local lake with its own fault injection (`faults` option of
// @auditlake/local: throttle = HTTP 429 ThrottlingException, reset = connection destroyed
// before processing). The peers (--peers) send to the bench's fake of their endpoint with the
// same rates (bench/fake-endpoint.mjs), the OTel SDK's queue sized to the burst.
//
//   node bench/faults.mjs [--records 20000] [--runs 3] [--throttle 0.2] [--reset 0.05] [--no-peers]
//                         [--only winston,pino,otel] [--options '{"maxBlockMs":5000}']   (auditlake options, as data)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseEnv, caseOptions, resultOrEarlyEnd, spawnCase } from './case-process.mjs';
import { CLIENTS } from './clients.mjs';
import { deadLetterCounter, formatReasons, summarizeReasons } from './dead-letters.mjs';
import { startFakeEndpoint } from './fake-endpoint.mjs';
import { startLakeProcess } from './lake-process.mjs';
import { fmt, jsonObject, machineLine, median, printTable } from './table.mjs';

const OURS = { winston: 'winston-auditlake', pino: 'pino-auditlake', otel: 'otel-auditlake-processor' };
const PEERS = { winston: 'winston-cloudwatch', pino: 'pino-cloudwatch', otel: 'otel-otlp-json' };

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    throttle: { type: 'string', default: '0.2' },
    reset: { type: 'string', default: '0.05' },
    'no-peers': { type: 'boolean', default: false },
    only: { type: 'string', default: 'winston,pino,otel' },
    options: { type: 'string', default: process.env.BENCH_AUDITLAKE_OPTIONS ?? '' },
  },
});
const records = Number(values.records);
const runs = Number(values.runs);
const throttle = Number(values.throttle);
const reset = Number(values.reset);
const options = jsonObject(values.options, '--options');
const loggers = values.only.split(',').filter((name) => OURS[name]);
const rate = (x) => x >= 0 && x <= 1;
if (!(records > 0 && runs > 0 && rate(throttle) && rate(reset)) || loggers.length === 0) {
  console.error('usage: node bench/faults.mjs [--records n] [--runs n] [--throttle 0..1] [--reset 0..1] [--no-peers] [--only winston,pino,otel] [--options <json>]');
  process.exit(2);
}

const machine = machineLine();
const scratch = mkdtempSync(join(tmpdir(), 'auditlake-bench-faults-'));
const faultText = (on) => (on ? `throttle=${throttle},reset=${reset}` : undefined);

async function ours(lake, client, faulty, run) {
  const key = `${client}-${faulty ? 'faults' : 'control'}-${run}`;
  const deadLetter = join(scratch, `${key}.jsonl`);
  await lake.setFaults(faultText(faulty));
  const env = caseEnv({ endpoint: lake.endpoint, deadLetter, channelArn: lake.channelArn, credentials: lake.credentials });
  const result = await resultOrEarlyEnd(spawnCase({ client, key, endpoint: lake.endpoint, records, mode: 'burst', options: caseOptions(options, key) }, env));
  const [row] = await lake.query(`SELECT count(*) AS n, count(DISTINCT eventData.requestParameters.binding) AS d FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${key}'`);
  return { ...result, delivered: Number(row.d), duplicates: Number(row.n) - Number(row.d), letters: deadLetterCounter(deadLetter).poll() };
}

async function peer(client, faulty, run) {
  const key = `${client}-${faulty ? 'faults' : 'control'}-${run}`;
  const deadLetter = join(scratch, `${key}.jsonl`);
  const fake = await startFakeEndpoint({ faults: faulty ? { throttle, reset } : {} });
  try {
    const result = await resultOrEarlyEnd(spawnCase({ client, key, endpoint: fake.url, records, mode: 'burst', queue: records }, caseEnv({ endpoint: fake.url, deadLetter })));
    const counts = fake.counts();
    return { ...result, delivered: counts.distinct, duplicates: counts.duplicates, letters: deadLetterCounter(deadLetter).poll() };
  } finally {
    await fake.close();
  }
}

const lake = await startLakeProcess({ fsync: true });
try {
  const cases = loggers.flatMap((logger) => [OURS[logger], ...(values['no-peers'] ? [] : [PEERS[logger]])]);
  const results = new Map();
  for (let run = 0; run < runs; run++) {
    for (const client of cases) {
      for (const faulty of [false, true]) {
        const result = CLIENTS[client].side === 'auditlake' ? await ours(lake, client, faulty, run) : await peer(client, faulty, run);
        const key = `${client}|${faulty}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(result);
        process.stderr.write(`faults: run ${run + 1}/${runs} ${client}${faulty ? '' : ' (no faults)'}: ${fmt(result.delivered)} delivered, ${formatReasons(result.letters.byReason)}${result.endedEarly ? `; ${result.endedEarly}` : ''}\n`);
      }
    }
  }

  console.log(`\n## ${fmt(records)} records in one burst while the endpoint throttles ${fmt(throttle * 100)} % of requests and resets ${fmt(reset * 100)} % of connections`);
  console.log(machine);
  console.log(
    `Median (min–max) of ${runs} runs, each in its own process. auditlake: default options${Object.keys(options).length ? ` plus ${JSON.stringify(options)}` : ''}, against the real local lake with fault injection; peers: against the bench's fake endpoint with the same rates (OTel queue sized to the burst). "Lost" = neither delivered nor dead-lettered.\n`,
  );
  const share = (list, pick) => {
    const got = list.map(pick);
    const pct = (v) => `${fmt((100 * v) / records, 1)} %`;
    return `${pct(median(got))} (${pct(Math.min(...got))}–${pct(Math.max(...got))})`;
  };
  const spread = (got) => `${fmt(median(got))}${Math.min(...got) === Math.max(...got) ? '' : ` (${fmt(Math.min(...got))}–${fmt(Math.max(...got))})`}`;
  const rows = [];
  for (const client of cases) {
    for (const faulty of [true, false]) {
      const list = results.get(`${client}|${faulty}`);
      rows.push([
        `${CLIENTS[client].label}${faulty ? '' : ', no faults'}`,
        share(list, (r) => r.delivered),
        summarizeReasons(list.map((r) => r.letters.byReason), median),
        spread(list.map((r) => Math.max(0, records - r.delivered - r.letters.total))),
        spread(list.map((r) => r.duplicates)),
        fmt(median(list.map((r) => r.wallMs)) / 1000, 1),
        `${list.filter((r) => r.endedEarly).length} of ${list.length}`,
      ]);
    }
  }
  printTable(['client', 'delivered', 'dead-lettered by reason', 'lost', 'duplicates', 'wall s', 'process ended before its shutdown resolved'], rows);
  if (rows.some((row) => !row[6].startsWith('0 '))) {
    console.log(
      '\n"Process ended before its shutdown resolved": the script awaited the documented shutdown (e.g. `logger.end()` then `finish`), nothing else held the event loop open, and Node ended the process with the shutdown still pending (exit code 13 for a top-level await; a CommonJS script would exit 0). What was not delivered by then is counted as lost.',
    );
  }
} finally {
  await lake.close();
  rmSync(scratch, { recursive: true, force: true });
}
