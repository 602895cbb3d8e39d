#!/usr/bin/env node
// The OTel emit loop (issue 10): how fast an application can call `logger.emit()` with
// auditlake's AuditLakeLogRecordProcessor, beside the SDK's BatchLogRecordProcessor with an
// exporter that discards. Both in one process, interleaved, on the same ~1 KB audit records.
// auditlake's sink sends to a `send` that accepts everything without a network, so its whole
// pipeline runs (map, validate, serialize, batch, outcome): what is compared is the emit loop
// (the application's thread while it emits); the rest of the work per record, until
// `forceFlush()` resolves, is printed beside it.
//
//   node bench/otel-emit.mjs [--records 20000] [--runs 7]
import { AuditLakeLogRecordProcessor } from '@auditlake/otel';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { parseArgs } from 'node:util';
import { BENCH_CHANNEL_ARN } from './case-process.mjs';
import { fmt, machineLine, median, printTable } from './table.mjs';
import { record } from './workload.mjs';

const { values } = parseArgs({ options: { records: { type: 'string', default: '20000' }, runs: { type: 'string', default: '7' } } });
const records = Number(values.records);
const runs = Number(values.runs);
if (!(Number.isInteger(records) && records > 0 && Number.isInteger(runs) && runs > 0)) {
  console.error('usage: node bench/otel-emit.mjs [--records n] [--runs n]');
  process.exit(2);
}

const discarding = { export: (_logs, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
const acceptAll = async (input) => ({ successful: input.auditEvents.map((event) => ({ id: event.id, eventID: event.id })), failed: [] });

const processors = {
  // Sized to the burst, so that neither drops: the SDK's default queue (2,048) drops silently.
  'BatchLogRecordProcessor + discarding exporter': () => new BatchLogRecordProcessor({ exporter: discarding, maxQueueSize: records }),
  AuditLakeLogRecordProcessor: () =>
    new AuditLakeLogRecordProcessor({ channelArn: BENCH_CHANNEL_ARN, send: acceptAll, region: 'us-east-1', deadLetter: () => {} }),
};

async function once(name) {
  const processor = processors[name]();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-emit' }), processors: [processor] });
  const logger = provider.getLogger('bench');
  const batch = Array.from({ length: records }, (_, i) => record(i));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < records; i++) logger.emit({ severityText: 'INFO', body: 'role binding changed', attributes: batch[i] });
  const emitMs = performance.now() - started;
  await provider.forceFlush();
  const used = process.cpuUsage(cpu);
  const stats = processor.sink?.stats();
  if (stats && stats.delivered !== records) throw new Error(`auditlake delivered ${stats.delivered} of ${records} (${JSON.stringify(stats.deadLettered)})`);
  await provider.shutdown();
  return { emitMs, cpuMs: (used.user + used.system) / 1000 };
}

const machine = machineLine();
const results = Object.fromEntries(Object.keys(processors).map((name) => [name, []]));
await once('AuditLakeLogRecordProcessor'); // warm-up of both paths
await once('BatchLogRecordProcessor + discarding exporter');
for (let run = 0; run < runs; run++) {
  for (const name of run % 2 ? Object.keys(processors).reverse() : Object.keys(processors)) results[name].push(await once(name));
}
const baseline = median(results['BatchLogRecordProcessor + discarding exporter'].map((r) => records / r.emitMs));
console.log(`\n## OTel emit loop: ${fmt(records)} ~1 KB audit records per run`);
console.log(machine);
console.log(`Median of ${runs} runs, interleaved, one process.`);
printTable(
  ['processor', 'emits/s (emit loop)', 'ratio', 'CPU per record until forceFlush() resolves'],
  Object.entries(results).map(([name, rs]) => {
    const rate = median(rs.map((r) => records / r.emitMs)) * 1000;
    return [name, fmt(rate), `${(rate / (baseline * 1000)).toFixed(2)}×`, `${fmt((median(rs.map((r) => r.cpuMs)) * 1000) / records, 1)} µs`];
  }),
);
