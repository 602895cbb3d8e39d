// Core pipeline throughput: add() → map → validate → queue → batch → serialize → SigV4-sign,
// into a sender that signs the exact request body and then answers "all accepted" without a
// network. Also: requests used per 10,000 events against the minimum, and request-body fill.
//
// Its baseline is the floor, measured in the same process on the same eventData: the work no
// implementation can skip — JSON.stringify of eventData, one SHA-256 for the checksum,
// escaping it into the request body, and per request the body's SHA-256 and the signature
// (core's own signer). The ratio core / floor is what the pipeline adds on top.
//
// Sink options come as data (BENCH_AUDITLAKE_OPTIONS='{"maxQueueEvents":20000}'), so the same
// bench runs on any engine. When core has a disk spool (bench/spool-probe.mjs), the pipeline is
// also run with `spoolDir` in the same process, and the spool's cost is printed as a ratio.
//
// The producer comes in two patterns (BENCH_PRODUCERS, default `0,100`): `0` adds every event in one
// synchronous loop, waiting only when waitForCapacity() asks, so the queue stays at its high-water
// mark and every event waits behind 24-32 MiB of others; `N` also gives the event loop a turn
// (setImmediate) after every N events, as a service does between the requests that log them. The
// floor yields the same way, so both pay the same turns.
//
// Page faults per event (minor faults: pages of new memory the process touched) are counted for
// core and floor alike: unlike CPU time they do not depend on how busy the host is, and on a
// virtual machine each can cost microseconds (about 11 µs on the README's host).
//
// Event sizes are BENCH_SIZES (eventData bytes, comma-separated; default 1000,20000). Per-event cost
// must grow no faster than the event: BENCH_SIZES=500,1000,2000,5000,10000,20000,50000,100000 sweeps
// the range, and the last column (CPU per KB of eventData, relative to the smallest size) shows any
// super-linear step. BENCH_SPOOL=0 leaves the spool runs out. BENCH_SCALE shrinks the runs (e.g.
// 0.01 for a smoke test); the figures want the default.
//
//   BENCH_RUNS=3 BENCH_SCALE=1 BENCH_AUDITLAKE_OPTIONS='{}' node bench/core.mjs
import { createAuditSink, createPutAuditEventsClient } from '@auditlake/core';
import { requestBodyBuffer, utf8Bytes } from '@auditlake/core/internal';
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSpool } from './spool-probe.mjs';
import { jsonObject, machineLine, median, printTable, ratio } from './table.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OPTIONS = jsonObject(process.env.BENCH_AUDITLAKE_OPTIONS, 'BENCH_AUDITLAKE_OPTIONS');
const MEMORY_ONLY = { ...OPTIONS };
delete MEMORY_ONLY.spoolDir;
const spool = process.env.BENCH_SPOOL === '0' ? { available: false, why: 'left out (BENCH_SPOOL=0)' } : probeSpool(OPTIONS);
const scratch = mkdtempSync(join(tmpdir(), 'auditlake-bench-core-'));
let spools = 0;
/** Options of a run with a spool: a fresh directory each time, so no run starts on another's leftovers. */
const withSpool = () => ({ ...OPTIONS, spoolDir: join(OPTIONS.spoolDir ?? scratch, `spool-${spools++}`) });

const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/bench';

// Each measured run starts on a collected heap and ends by collecting what it left: runs are
// interleaved, and without this each one paid for the full collection of the garbage the run
// before it promoted (the floor measured 10.3 and 12.6 µs in one invocation, by what ran first).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc');

function record(n, padding) {
  return {
    time: Date.now(),
    message: 'user changed a role binding',
    severity: 'INFO',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    attributes: {
      audit: {
        eventName: 'UpdateRoleBinding',
        eventSource: 'iam.bench.example',
        userIdentity: { type: 'Employee', principalId: `user-${n % 1000}`, details: { team: 'platform', mfa: true } },
        sourceIPAddress: '203.0.113.42',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
        requestParameters: { role: 'admin', binding: `binding-${n}`, scope: { org: 'acme', project: 'payments' }, note: padding },
        responseElements: { status: 'ok', version: n },
      },
      'http.route': '/v1/roles/{role}/bindings',
      'http.request.method': 'PUT',
      tenant: 'acme',
    },
  };
}

/** Pads requestParameters until the serialized eventData is `bytes` long. */
async function padTo(bytes) {
  let last;
  const sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    deadLetter: () => {},
    send: async (input) => {
      last = input.auditEvents[0];
      return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
    },
  });
  const measure = async (padding) => {
    sink.add(record(1, padding));
    await sink.flush();
    return Buffer.byteLength(last.eventData);
  };
  const padding = 'x'.repeat(Math.max(0, bytes - (await measure(''))));
  const actual = await measure(padding);
  await sink.shutdown();
  return { padding, actual };
}

const signingClient = () =>
  createPutAuditEventsClient({
    region: 'us-east-1',
    endpoint: 'https://cloudtrail-data.us-east-1.amazonaws.com',
    credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' },
  });

/** The eventData objects the pipeline builds from the first `count` records (what the floor serializes). */
async function eventDataPool(count, padding) {
  const pool = [];
  const sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    deadLetter: () => {},
    send: async (input) => {
      for (const e of input.auditEvents) pool.push(JSON.parse(e.eventData));
      return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
    },
  });
  for (let i = 0; i < count; i++) {
    sink.add(record(i, padding));
    const wait = sink.waitForCapacity();
    if (wait) await wait;
  }
  await sink.shutdown();
  if (pool.length !== count) throw new Error(`the floor's pool holds ${pool.length} of ${count} events`);
  return pool;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** The floor: the unavoidable work for `events` events, batched as the pipeline batches them. */
async function floor(events, pool, perRequest, yieldEvery = 0) {
  const client = signingClient();
  collect();
  const cpuBefore = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  let sinceTurn = 0;
  for (let start = 0; start < events; start += perRequest) {
    const entries = [];
    const end = Math.min(events, start + perRequest);
    for (let i = start; i < end; i++) {
      const eventData = JSON.stringify(pool[i % pool.length]);
      const checksum = hash('sha256', eventData, 'base64');
      const entry = `{"id":"e${i}","eventData":${JSON.stringify(eventData)},"eventDataChecksum":"${checksum}"}`;
      // Measured as core measures it (written into a reused buffer: half the cost of Buffer.byteLength).
      entries.push({ entry, bytes: utf8Bytes(entry) });
    }
    // Written entry by entry into one buffer of the body's size (core's own writer), not with
    // join() and Buffer.from(): from 2 KB events on, the joined text of 100 entries is over V8's
    // 128 KiB limit for young objects, and allocating it in the large-object space doubled the
    // floor's cost per event (9 µs at 1 KB, 19 µs at 2 KB): the floor must be the cheapest way.
    const body = requestBodyBuffer(entries);
    await client.prepare({ channelArn: CHANNEL_ARN, auditEvents: [] }, body);
    sinceTurn += end - start;
    if (yieldEvery > 0 && sinceTurn >= yieldEvery) {
      sinceTurn = 0;
      await turn();
    }
  }
  collect();
  const cpu = process.cpuUsage(cpuBefore);
  const faults = process.resourceUsage().minorPageFault - faultsBefore;
  client.destroy();
  return { cpuPerEventUs: (cpu.user + cpu.system) / events, faultsPerEvent: faults / events };
}

async function run(events, padding, options = MEMORY_ONLY, yieldEvery = 0) {
  const client = signingClient();
  const bodies = [];
  const send = async (input, options) => {
    const request = await client.prepare(input, options.body);
    bodies.push(request.body.length);
    return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
  };
  const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, deadLetter: () => {}, flushIntervalMs: 1000, ...options });
  const records = Array.from({ length: Math.min(events, 2000) }, (_, i) => record(i, padding));
  collect();
  const cpuBefore = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++) {
    sink.add(records[i % records.length]);
    const wait = sink.waitForCapacity();
    if (wait) await wait;
    if (yieldEvery > 0 && (i + 1) % yieldEvery === 0) await turn();
  }
  await sink.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  collect();
  const cpu = process.cpuUsage(cpuBefore);
  const faults = process.resourceUsage().minorPageFault - faultsBefore;
  const stats = sink.stats();
  await sink.shutdown();
  client.destroy();
  if (stats.delivered !== events) throw new Error(`delivered ${stats.delivered} of ${events}: ${JSON.stringify(stats)}`);
  const full = bodies.slice(0, -1);
  return {
    eventsPerSecond: events / seconds,
    cpuPerEventUs: (cpu.user + cpu.system) / events,
    faultsPerEvent: faults / events,
    requests: stats.requests,
    eventsPerRequest: events / stats.requests,
    meanBody: full.length ? full.reduce((a, b) => a + b, 0) / full.length : bodies[0],
  };
}

const SIZES = (process.env.BENCH_SIZES ?? '1000,20000').split(',').map(Number);
if (SIZES.some((bytes) => !Number.isInteger(bytes) || bytes < 500)) throw new Error(`BENCH_SIZES must be integers of at least 500 (actual: ${process.env.BENCH_SIZES})`);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const label = (bytes) => (bytes >= 1000 ? `${bytes / 1000} KB events` : `${bytes} B events`);
// About 600 MB of eventData per run (300,000 events of 1 KB, 30,000 of 20 KB), so that every size runs about as long.
const scenarios = SIZES.map((bytes) => ({ name: label(bytes), bytes, events: Math.max(1000, Math.round(SCALE * Math.max(3_000, Math.min(300_000, Math.round(600_000_000 / bytes))))) }));

const PRODUCERS = (process.env.BENCH_PRODUCERS ?? '0,100').split(',').map(Number);
if (PRODUCERS.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`BENCH_PRODUCERS must be integers of at least 0 (actual: ${process.env.BENCH_PRODUCERS})`);
const producerLabel = (n) => (n === 0 ? 'one loop' : `a turn every ${n}`);
// The spool runs use the first producer, and are compared with that producer's runs without a spool.
const SPOOL_PRODUCER = PRODUCERS[0];

const rows = [];
const spoolRows = [];
for (const scenario of scenarios) {
  const { padding, actual } = await padTo(scenario.bytes);
  const pool = await eventDataPool(2000, padding);
  const warm = await run(Math.min(20_000, scenario.events), padding);
  const perRequest = Math.round(warm.eventsPerRequest);
  await floor(Math.min(20_000, scenario.events), pool, perRequest);
  if (spool.available) await run(Math.min(20_000, scenario.events), padding, withSpool());
  const runs = PRODUCERS.map(() => []);
  const floors = PRODUCERS.map(() => []);
  const spooled = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [p, yieldEvery] of PRODUCERS.entries()) {
      runs[p].push(await run(scenario.events, padding, MEMORY_ONLY, yieldEvery));
      floors[p].push(await floor(scenario.events, pool, perRequest, yieldEvery));
    }
    if (spool.available) spooled.push(await run(scenario.events, padding, withSpool(), SPOOL_PRODUCER));
  }
  const tenK = await run(10_000, padding);
  const minimum = Math.ceil(10_000 / Math.min(100, Math.floor(1_000_000 / (actual + 120))));
  for (const [p, yieldEvery] of PRODUCERS.entries()) {
    const cpu = median(runs[p].map((r) => r.cpuPerEventUs));
    const rate = median(runs[p].map((r) => r.eventsPerSecond));
    const floorCpu = median(floors[p].map((r) => r.cpuPerEventUs));
    const faults = `${median(runs[p].map((r) => r.faultsPerEvent)).toFixed(2)} / ${median(floors[p].map((r) => r.faultsPerEvent)).toFixed(2)}`;
    rows.push([
      scenario.name,
      `${actual} B`,
      producerLabel(yieldEvery),
      Math.round(rate).toLocaleString('en-US'),
      cpu.toFixed(2),
      floorCpu.toFixed(2),
      ratio(cpu, floorCpu),
      (cpu / (actual / 1000)).toFixed(2),
      faults,
      `${tenK.requests} (min ${minimum})`,
      `${((tenK.meanBody / 1_000_000) * 100).toFixed(1)} %`,
    ]);
  }
  if (spool.available) {
    const rate = median(runs[0].map((r) => r.eventsPerSecond));
    const cpu = median(runs[0].map((r) => r.cpuPerEventUs));
    const spoolRate = median(spooled.map((r) => r.eventsPerSecond));
    const spoolCpu = median(spooled.map((r) => r.cpuPerEventUs));
    spoolRows.push([scenario.name, Math.round(rate).toLocaleString('en-US'), Math.round(spoolRate).toLocaleString('en-US'), ratio(spoolRate, rate), cpu.toFixed(2), spoolCpu.toFixed(2), ratio(spoolCpu, cpu)]);
  }
}
rmSync(scratch, { recursive: true, force: true });

console.log(`\n## core pipeline (map → validate → batch → serialize → sign → null sender) beside its floor`);
console.log(machineLine());
console.log(
  `Median of ${RUNS} runs, core and floor interleaved in one process; one thread. Floor: JSON.stringify of the same eventData, SHA-256 checksum, escaping into the body, per request the body SHA-256 and the SigV4 signature. Sink options: ${JSON.stringify(MEMORY_ONLY)} over the defaults. Producer: one synchronous loop (the queue stays at its high-water mark), or a turn of the event loop after every N events (core and floor alike). Page faults: pages of new memory touched, per event.\n`,
);
printTable(['event', 'eventData size', 'producer', 'events/s', 'CPU µs/event', 'floor CPU µs/event', 'core / floor', 'CPU µs per KB', 'page faults per event, core / floor', 'requests per 10,000 events', 'mean body / 1,000,000 B'], rows);
console.log(`\n### the same pipeline with a disk spool (spoolDir), same process, runs interleaved, producer: ${producerLabel(SPOOL_PRODUCER)} (issue 7 target: ≥ 0.8× of the rate without)`);
if (spool.available) printTable(['event', 'events/s, no spool', 'events/s, spool', 'ratio', 'CPU µs/event, no spool', 'CPU µs/event, spool', 'CPU ratio'], spoolRows);
else console.log(`unavailable: ${spool.why}.`);
