#!/usr/bin/env node
// Ingestion rate of the local lake with durable writes (fsync before every acknowledgement),
// beside a null server measured in the same run: the bench's fake PutAuditEvents endpoint
// (bench/fake-endpoint.mjs), which parses the body and answers "all accepted" without checking
// a signature or storing anything. The ratio lake / null server is what verification,
// validation and durable storage cost. The servers run in this thread; the load comes from a
// worker thread (so both cores work): N concurrent clients, each sending 100-event
// PutAuditEvents requests of ~1 KB events, signed with SigV4 by core's client, for a fixed time.
//
//   node bench/local-lake.mjs [--seconds 5] [--runs 3] [--clients 4] [--event-bytes 1000] [--no-fsync]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { machineLine, median, percentile, printTable, ratio } from './table.mjs';
import { BENCH_CHANNEL_ARN, BENCH_CREDENTIALS } from './case-process.mjs';

/**
 * Runs the load worker against `target` for the given seconds; resolves with its counts and
 * latencies, and with how busy this thread (the server's) was meanwhile: its event-loop
 * utilization times the run's length, per acknowledged event, is the server's own time per event.
 */
function load(target, { seconds, clients, eventBytes }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...target, seconds, clients, eventBytes } });
  const before = performance.eventLoopUtilization();
  return new Promise((resolve, reject) => {
    worker.once('message', (result) => {
      const { active } = performance.eventLoopUtilization(before);
      resolve({ ...result, serverUsPerEvent: (active * 1000) / Math.max(1, result.events) });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

if (isMainThread) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      clients: { type: 'string', default: '4' },
      'event-bytes': { type: 'string', default: '1000' },
      'no-fsync': { type: 'boolean', default: false },
    },
  });
  const settings = { seconds: Number(values.seconds), clients: Number(values.clients), eventBytes: Number(values['event-bytes']) };
  const runs = Number(values.runs);
  const machine = machineLine();
  const { startLocalLake } = await import('@auditlake/local');
  const { startFakeEndpoint } = await import('./fake-endpoint.mjs');
  const lakeRuns = [];
  const nullRuns = [];
  let failures = 0;
  for (let run = 0; run < runs; run++) {
    // quiet: no request log line per request, which the null server does not write either.
    const lake = await startLocalLake({ fsync: !values['no-fsync'], quiet: true });
    try {
      const result = await load({ endpoint: lake.endpoint, channelArn: lake.channelArn, credentials: lake.credentials }, settings);
      const [{ count }] = await lake.query(`SELECT count(*) AS count FROM ${lake.eventDataStoreId}`);
      if (Number(count) !== result.events) {
        console.error(`run ${run + 1}: the lake acknowledged ${result.events} events but holds ${count}`);
        failures++;
      }
      lakeRuns.push(result);
    } finally {
      await lake.close();
    }
    const fake = await startFakeEndpoint();
    try {
      const result = await load({ endpoint: fake.url, channelArn: BENCH_CHANNEL_ARN, credentials: BENCH_CREDENTIALS }, settings);
      if (fake.counts().records !== result.events) failures++;
      nullRuns.push(result);
    } finally {
      await fake.close();
    }
  }
  const summary = (list) => {
    const latencies = list.flatMap((r) => r.latencies);
    return {
      events: median(list.map((r) => (r.events * 1000) / r.elapsedMs)),
      requests: median(list.map((r) => (r.requests * 1000) / r.elapsedMs)),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors: list.reduce((n, r) => n + r.errors, 0),
      serverUs: median(list.map((r) => r.serverUsPerEvent)),
    };
  };
  const lake = summary(lakeRuns);
  const nul = summary(nullRuns);
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`\n## local lake ingestion (PutAuditEvents) beside a null server`);
  console.log(machine);
  console.log(
    `Median of ${runs} runs of ${settings.seconds} s, lake and null server interleaved; ${settings.clients} clients × 100-event requests of ~${settings.eventBytes} B events, SigV4-signed; durable writes ${values['no-fsync'] ? 'off (no fsync)' : 'on (fdatasync per commit, group commit)'}; latency percentiles over all runs. The real service allows 100 requests/s × 100 events = 10,000 events/s.\n`,
  );
  printTable(
    ['server', 'events/s', 'requests/s', 'latency p50 ms', 'latency p99 ms', 'errors', 'lake / null', 'server thread busy µs/event'],
    [
      ['null server (fake endpoint)', fmt(nul.events), fmt(nul.requests), nul.p50.toFixed(1), nul.p99.toFixed(1), String(nul.errors), 'baseline', nul.serverUs.toFixed(1)],
      ['local lake', fmt(lake.events), fmt(lake.requests), lake.p50.toFixed(1), lake.p99.toFixed(1), String(lake.errors), ratio(lake.events, nul.events), lake.serverUs.toFixed(1)],
    ],
  );
  if (failures > 0) {
    console.error(`${failures} run(s) stored or counted a different number of events than were acknowledged`);
    process.exitCode = 1;
  }
} else {
  const { createPutAuditEventsClient } = await import('@auditlake/core');
  const { endpoint, channelArn, credentials, seconds, clients, eventBytes } = workerData;
  const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint, credentials, maxSockets: clients });
  const { eventPool } = await import('./audit-events.mjs');
  const pool = eventPool(500, eventBytes);
  const deadline = performance.now() + seconds * 1000;
  const latencies = [];
  let events = 0;
  let requests = 0;
  let errors = 0;
  let sequence = 0;
  const started = performance.now();
  const loop = async (clientIndex) => {
    while (performance.now() < deadline) {
      const auditEvents = Array.from({ length: 100 }, () => {
        const n = sequence++;
        return { id: `c${clientIndex}-${n}`, ...pool[n % pool.length] };
      });
      const t0 = performance.now();
      try {
        const out = await client.send({ channelArn, auditEvents });
        latencies.push(performance.now() - t0);
        events += out.successful.length;
        errors += out.failed.length;
        requests++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  const elapsedMs = performance.now() - started;
  client.destroy();
  parentPort.postMessage({ events, requests, errors, elapsedMs, latencies });
}
