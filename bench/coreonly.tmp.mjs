import { PerformanceObserver } from 'node:perf_hooks';
let gcMs = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) gcMs += e.duration; }).observe({ entryTypes: ['gc'] });
import { createAuditSink, createPutAuditEventsClient } from '@auditlake/core';
const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/bench';
const padding = 'x'.repeat(560);
function record(n) {
  return { time: Date.now(), message: 'user changed a role binding', severity: 'INFO', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331',
    attributes: { audit: { eventName: 'UpdateRoleBinding', eventSource: 'iam.bench.example', userIdentity: { type: 'Employee', principalId: `user-${n % 1000}`, details: { team: 'platform', mfa: true } }, sourceIPAddress: '203.0.113.42', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0', requestParameters: { role: 'admin', binding: `binding-${n}`, scope: { org: 'acme', project: 'payments' }, note: padding }, responseElements: { status: 'ok', version: n } }, 'http.route': '/v1/roles/{role}/bindings', 'http.request.method': 'PUT', tenant: 'acme' } };
}
const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: 'https://cloudtrail-data.us-east-1.amazonaws.com', credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' } });
const opts = JSON.parse(process.env.OPTS ?? '{}');
async function run(events) {
  const send = async (input, options) => { await client.prepare(input, options.body); return { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] }; };
  const sink = createAuditSink({ channelArn: CHANNEL_ARN, send, deadLetter: () => {}, flushIntervalMs: 1000, ...opts });
  const records = Array.from({ length: 2000 }, (_, i) => record(i));
  const c = process.cpuUsage(); gcMs = 0;
  for (let i = 0; i < events; i++) { sink.add(records[i % 2000]); const w = sink.waitForCapacity(); if (w) await w; }
  await sink.flush();
  const u = process.cpuUsage(c); await new Promise((r) => setTimeout(r, 100)); console.log('gc µs/event', (gcMs * 1000 / events).toFixed(2));
  await sink.shutdown();
  return (u.user + u.system) / events;
}
await run(20000);
for (let i = 0; i < 3; i++) console.log('core µs/event', (await run(300000)).toFixed(2));
client.destroy();
