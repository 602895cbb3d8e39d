#!/usr/bin/env node
// The local lake at a million events: `auditlake serve` in its own process (so that its RSS is
// its own), loaded with ~1 KB events over SigV4 with fsync on, then restarted and queried:
// - ingest rate (events/s) of three consecutive thirds of the load, and their median;
// - restart → first answer of `SELECT count(*)` and of a filtered GROUP BY, after a clean stop
//   (SIGTERM) and after a crash (SIGKILL: the tail beyond the columnar copy is re-read), 3 each;
// - warm query times (3 each), and the server's peak RSS while loading and while querying.
// Not part of CI: it writes ~1.5 GB and takes minutes.
//
//   node bench/local-lake-scale.mjs [--events 1000000] [--clients 4] [--event-bytes 1000] [--runs 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPutAuditEventsClient } from '@auditlake/core';
import { eventPool } from './audit-events.mjs';
import { machineLine, median, printTable } from './table.mjs';

const machine = machineLine();

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    clients: { type: 'string', default: '4' },
    'event-bytes': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
  },
});
const total = Number(values.events);
const clients = Number(values.clients);
const runs = Number(values.runs);
const bin = fileURLToPath(new URL('../bin/auditlake.js', import.meta.resolve('@auditlake/local')));
const dataDir = mkdtempSync(join(tmpdir(), 'auditlake-scale-'));

/** A server process; resolves once it printed its --json start-up line. */
async function serve() {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(JSON.parse(output.slice(0, output.indexOf('\n'))));
    });
  });
  child.removeAllListeners('exit');
  const rss = { peak: 0 };
  const sample = () => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      rss.peak = Math.max(rss.peak, kb * 1024);
    } catch {
      // The process is gone.
    }
  };
  const sampler = setInterval(sample, 100);
  return {
    child,
    info,
    started,
    rss,
    async stop(signal) {
      clearInterval(sampler);
      sample();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

async function control(endpoint, operation, input) {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.${operation}` },
    body: JSON.stringify(input),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${operation}: ${json.__type}: ${json.message}`);
  return json;
}

/** StartQuery, then GetQueryResults until it finished; the rows. */
async function query(endpoint, sql) {
  const { QueryId } = await control(endpoint, 'StartQuery', { QueryStatement: sql });
  for (;;) {
    const results = await control(endpoint, 'GetQueryResults', { QueryId });
    if (results.QueryStatus === 'FINISHED') return results.QueryResultRows;
    if (results.QueryStatus !== 'QUEUED' && results.QueryStatus !== 'RUNNING') throw new Error(`${sql}: ${results.QueryStatus} ${results.ErrorMessage}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function ingest(server, count) {
  const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: server.info.endpoint, credentials: server.info.credentials, maxSockets: clients });
  const pool = eventPool(1000, Number(values['event-bytes']));
  let sent = 0;
  let sequence = 0;
  const started = performance.now();
  const loop = async () => {
    while (sent < count) {
      const size = Math.min(100, count - sent);
      sent += size;
      const auditEvents = Array.from({ length: size }, () => {
        const n = sequence++;
        return { id: `e-${ingested + n}`, ...pool[n % pool.length] };
      });
      const out = await client.send({ channelArn: server.info.channelArn, auditEvents });
      if (out.failed.length > 0) throw new Error(`failed: ${JSON.stringify(out.failed[0])}`);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  client.destroy();
  ingested += count;
  return (count * 1000) / (performance.now() - started);
}

const COUNT = (id) => `SELECT count(*) AS n FROM ${id}`;
const GROUP_BY = (id) => `SELECT eventData.userIdentity.principalId AS who, count(*) AS n FROM ${id} WHERE eventData.eventName <> 'Read' GROUP BY 1 ORDER BY n DESC`;
const seconds = (ms) => (ms / 1000).toFixed(2);
const mib = (bytes) => `${Math.round(bytes / 1048576)} MiB`;
let ingested = 0;

try {
  const loading = await serve();
  const rates = [];
  for (let part = 0; part < 3; part++) {
    const count = part < 2 ? Math.floor(total / 3) : total - 2 * Math.floor(total / 3);
    rates.push(await ingest(loading, count));
    console.error(`ingested ${ingested} events`);
  }
  const storeId = loading.info.eventDataStoreId;
  const [[{ n: stored }]] = await query(loading.info.endpoint, COUNT(storeId));
  if (Number(stored) !== total) throw new Error(`stored ${stored} of ${total} events`);
  await loading.stop('SIGTERM');

  const restarts = { SIGTERM: { count: [], group: [] }, SIGKILL: { count: [], group: [] } };
  const warm = { count: [], group: [] };
  let queryPeak = 0;
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    for (let run = 0; run < runs; run++) {
      const server = await serve();
      const [[{ n }]] = await query(server.info.endpoint, COUNT(storeId));
      restarts[signal].count.push(performance.now() - server.started);
      await query(server.info.endpoint, GROUP_BY(storeId));
      restarts[signal].group.push(performance.now() - server.started);
      if (Number(n) !== ingested) throw new Error(`after a restart: ${n} of ${ingested} events`);
      for (let i = 0; i < runs; i++) {
        let t = performance.now();
        await query(server.info.endpoint, COUNT(storeId));
        warm.count.push(performance.now() - t);
        t = performance.now();
        await query(server.info.endpoint, GROUP_BY(storeId));
        warm.group.push(performance.now() - t);
      }
      // A crash leaves the log's tail beyond the columnar copy to be read again at the next start.
      if (signal === 'SIGKILL') await ingest(server, Math.min(50_000, Math.ceil(total / 20)));
      await server.stop(signal);
      queryPeak = Math.max(queryPeak, server.rss.peak);
    }
  }
  console.log(`\nlocal lake at scale: ${total.toLocaleString('en-US')} events of ~${values['event-bytes']} B, fsync on`);
  console.log(`${machine}\nMedians of ${runs}.\n`);
  printTable(
    ['measure', 'median', 'runs'],
    [
      ['ingest, events/s (thirds of the load)', Math.round(median(rates)).toLocaleString('en-US'), rates.map((r) => Math.round(r)).join(', ')],
      ['restart (SIGTERM) → count(*) answered, s', seconds(median(restarts.SIGTERM.count)), restarts.SIGTERM.count.map(seconds).join(', ')],
      ['restart (SIGTERM) → GROUP BY answered, s', seconds(median(restarts.SIGTERM.group)), restarts.SIGTERM.group.map(seconds).join(', ')],
      ['restart (SIGKILL) → count(*) answered, s', seconds(median(restarts.SIGKILL.count)), restarts.SIGKILL.count.map(seconds).join(', ')],
      ['restart (SIGKILL) → GROUP BY answered, s', seconds(median(restarts.SIGKILL.group)), restarts.SIGKILL.group.map(seconds).join(', ')],
      ['warm count(*), s', seconds(median(warm.count)), `${warm.count.length} runs`],
      ['warm filtered GROUP BY, s', seconds(median(warm.group)), `${warm.group.length} runs`],
      ['server peak RSS while loading', mib(loading.rss.peak), ''],
      ['server peak RSS, restarts and queries', mib(queryPeak), ''],
    ],
  );
} finally {
  // A keeper whose server was killed finishes its step before it leaves.
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 500 });
}
