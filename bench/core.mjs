// Core pipeline throughput: add() → map → validate → queue → batch → serialize → SigV4-sign,
// into a sender that signs the exact request body and then answers "all accepted" without a
// network. Also: requests used per 10,000 events against the minimum, and request-body fill.
import { createAuditSink, createPutAuditEventsClient } from '@auditlake/core';
import { cpus } from 'node:os';
import { median, printTable } from './table.mjs';

const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/bench';

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

async function run(events, padding) {
  const client = createPutAuditEventsClient({
    region: 'us-east-1',
    endpoint: 'https://cloudtrail-data.us-east-1.amazonaws.com',
    credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' },
  });
  const bodies = [];
  const send = async (input, options) => {
    const request = await client.prepare(input, options.body);
    bodies.push(request.body.length);
    return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
  };
  const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, deadLetter: () => {}, flushIntervalMs: 1000 });
  const records = Array.from({ length: Math.min(events, 2000) }, (_, i) => record(i, padding));
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++) {
    sink.add(records[i % records.length]);
    const wait = sink.waitForCapacity();
    if (wait) await wait;
  }
  await sink.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const stats = sink.stats();
  await sink.shutdown();
  client.destroy();
  if (stats.delivered !== events) throw new Error(`delivered ${stats.delivered} of ${events}: ${JSON.stringify(stats)}`);
  const full = bodies.slice(0, -1);
  return {
    eventsPerSecond: events / seconds,
    cpuPerEventUs: ((cpu.user + cpu.system) / events),
    requests: stats.requests,
    meanBody: full.length ? full.reduce((a, b) => a + b, 0) / full.length : bodies[0],
  };
}

const scenarios = [
  { name: '1 KB events', bytes: 1_000, events: 300_000 },
  { name: '20 KB events', bytes: 20_000, events: 30_000 },
];

const rows = [];
for (const scenario of scenarios) {
  const { padding, actual } = await padTo(scenario.bytes);
  await run(Math.min(20_000, scenario.events), padding); // warm-up
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await run(scenario.events, padding));
  const tenK = await run(10_000, padding);
  const minimum = Math.ceil(10_000 / Math.min(100, Math.floor(1_000_000 / (actual + 120))));
  rows.push([
    scenario.name,
    `${actual} B`,
    Math.round(median(runs.map((r) => r.eventsPerSecond))).toLocaleString('en-US'),
    median(runs.map((r) => r.cpuPerEventUs)).toFixed(2),
    `${tenK.requests} (min ${minimum})`,
    `${((tenK.meanBody / 1_000_000) * 100).toFixed(1)} %`,
  ]);
}

console.log(`\n## core pipeline (map → validate → batch → serialize → sign → null sender)`);
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; median of 3 runs; one thread.\n`);
printTable(['event', 'eventData size', 'events/s', 'CPU µs/event', 'requests per 10,000 events', 'mean body / 1,000,000 B'], rows);
