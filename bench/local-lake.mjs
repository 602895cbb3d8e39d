#!/usr/bin/env node
// Ingestion rate of the local lake with durable writes (fsync before every acknowledgement).
// The lake runs in this thread; the load comes from a worker thread (so both cores work):
// N concurrent clients, each sending 100-event PutAuditEvents requests of ~1 KB events, signed
// with SigV4 by core's client, for a fixed time. Prints events/s, requests/s and latency.
//
//   node bench/local-lake.mjs [--seconds 10] [--clients 4] [--event-bytes 1000] [--no-fsync]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';

if (isMainThread) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      clients: { type: 'string', default: '4' },
      'event-bytes': { type: 'string', default: '1000' },
      'no-fsync': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  const eventBytes = Number(values['event-bytes']);
  const { startLocalLake } = await import('@auditlake/local');
  const lake = await startLocalLake({ fsync: !values['no-fsync'] });
  try {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { endpoint: lake.endpoint, channelArn: lake.channelArn, credentials: lake.credentials, seconds, clients, eventBytes },
    });
    const result = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
    });
    const [{ count }] = await lake.query(`SELECT count(*) AS count FROM ${lake.eventDataStoreId}`);
    const latencies = Float64Array.from(result.latencies).sort();
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    const rows = [
      ['machine', `${cpus().length} cores, Node ${process.versions.node}`],
      ['durable writes', values['no-fsync'] ? 'off (no fsync)' : 'on (fdatasync per commit, group commit)'],
      ['clients x batch', `${clients} x 100 events of ~${eventBytes} B`],
      ['duration', `${(result.elapsedMs / 1000).toFixed(1)} s`],
      ['events/s', Math.round((result.events * 1000) / result.elapsedMs).toLocaleString('en-US')],
      ['requests/s', Math.round((result.requests * 1000) / result.elapsedMs).toLocaleString('en-US')],
      ['latency p50', `${pct(50).toFixed(1)} ms`],
      ['latency p99', `${pct(99).toFixed(1)} ms`],
      ['errors', String(result.errors)],
      ['events stored (SQL count)', String(count)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('\nlocal lake ingestion (PutAuditEvents)');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log(`  (the real service allows 100 requests/s x 100 events = 10,000 events/s)`);
    if (count !== result.events) {
      console.error(`acknowledged ${result.events} events but the store holds ${count}`);
      process.exitCode = 1;
    }
  } finally {
    await lake.close();
  }
} else {
  const { createPutAuditEventsClient, eventDataChecksum } = await import('@auditlake/core');
  const { endpoint, channelArn, credentials, seconds, clients, eventBytes } = workerData;
  const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint, credentials, maxSockets: clients });
  const { eventPool } = await import('./audit-events.mjs');
  const pool = eventPool(500, eventBytes, eventDataChecksum);
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
