// Front ends: records/s logged on the main thread, and delivered end to end to a local lake,
// beside each logger's own baseline measured in the same run (pino → a transport that
// discards, winston → a Stream transport on /dev/null, OTel → a batch processor and an
// exporter that discards). Every case runs in a fresh process; the lake runs in another.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { caseEnv } from './case-process.mjs';
import { startLakeProcess } from './lake-process.mjs';
import { machineLine, median, printTable, ratio } from './table.mjs';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const self = fileURLToPath(import.meta.url);
const LABELS = {
  'pino-auditlake': 'pino: @auditlake/pino transport',
  'winston-auditlake': 'winston: AuditLakeTransport',
  'otel-auditlake': 'OTel: AuditLakeLogRecordProcessor',
  'otel-exporter': 'OTel: BatchLogRecordProcessor + AuditLakeLogRecordExporter',
  'otel-mixed': 'OTel: AuditLakeLogRecordProcessor, 1 record in 10 an audit event',
};

/** With MIX=n, only every n-th record is an audit event (the others are plain log lines). */
const MIX = Number(process.env.MIX ?? 1);

function record(i) {
  if (i % MIX !== 0) return { 'http.route': '/v1/health', tenant: 'acme', latencyMs: i % 97 };
  return {
    audit: {
      eventName: 'UpdateRoleBinding',
      userIdentity: { principalId: `user-${i % 500}` },
      sourceIPAddress: '203.0.113.42',
      requestParameters: { role: 'admin', binding: `binding-${i}`, scope: { org: 'acme', project: 'payments' } },
      responseElements: { status: 'ok' },
    },
    'http.route': '/v1/roles/{role}/bindings',
    tenant: 'acme',
  };
}

/** One case, in this (child) process: log RECORDS records, then finish as the host does. */
async function runCase(name) {
  const source = process.env.SOURCE;
  const clock = () => performance.now();
  let logged;
  let finished;
  if (name.startsWith('pino')) {
    const { default: pino } = await import('pino');
    const target = name === 'pino' ? fileURLToPath(new URL('./discard-transport.mjs', import.meta.url)) : '@auditlake/pino';
    const transport = pino.transport({ target, options: {} });
    const logger = pino({ name: source, base: undefined }, transport);
    // As in a service that starts its logger at boot: measure once the worker is up.
    const { once } = await import('node:events');
    const booting = setInterval(() => {}, 1000);
    await once(transport, 'ready');
    clearInterval(booting);
    const started = clock();
    for (let i = 0; i < RECORDS; i++) logger.info(record(i), 'role binding changed');
    logged = clock() - started;
    // 'close' comes when the worker has run its close hook (for auditlake: after delivery). The
    // worker is unref'd, so something must hold the event loop open meanwhile.
    const keepAlive = setInterval(() => {}, 1000);
    const closed = once(transport, 'close');
    transport.end();
    await closed;
    clearInterval(keepAlive);
    finished = clock() - started;
  } else if (name.startsWith('winston')) {
    const { default: winston } = await import('winston');
    const { once } = await import('node:events');
    const transport =
      name === 'winston'
        ? new winston.transports.Stream({ stream: createWriteStream('/dev/null') })
        : new (await import('@auditlake/winston')).AuditLakeTransport({ eventSource: source });
    const logger = winston.createLogger({ format: winston.format.combine(winston.format.timestamp(), winston.format.json()), transports: [transport] });
    const started = clock();
    for (let i = 0; i < RECORDS; i++) logger.info('role binding changed', record(i));
    logged = clock() - started;
    logger.end();
    await once(logger, 'finish');
    finished = clock() - started;
  } else {
    const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const discard = { export: (records, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
    const { AuditLakeLogRecordExporter, AuditLakeLogRecordProcessor } = await import('@auditlake/otel');
    const processor =
      name === 'otel'
        ? new BatchLogRecordProcessor({ exporter: discard, maxQueueSize: RECORDS })
        : name === 'otel-exporter'
          ? new BatchLogRecordProcessor({ exporter: new AuditLakeLogRecordExporter({}), maxQueueSize: RECORDS })
          : // The same allowance as the baseline's maxQueueSize, so that a burst fits in both.
            new AuditLakeLogRecordProcessor({ maxQueueEvents: RECORDS, maxQueueBytes: Math.max(16 * 1024 * 1024, 4 * 1024 * RECORDS) });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': source }), processors: [processor] });
    const logger = provider.getLogger('bench');
    const started = clock();
    for (let i = 0; i < RECORDS; i++) logger.emit({ severityText: 'INFO', body: 'role binding changed', attributes: record(i) });
    logged = clock() - started;
    await provider.shutdown();
    finished = clock() - started;
  }
  process.stdout.write(JSON.stringify({ logged, finished }));
}

/** The OTel SDK's batch processor with its defaults, under a synchronous burst: how many reach the exporter. */
async function otelDefaultDrops() {
  const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
  let exported = 0;
  const exporter = { export: (records, done) => ((exported += records.length), done({ code: 0 })), shutdown: async () => {}, forceFlush: async () => {} };
  const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('burst');
  for (let i = 0; i < RECORDS; i++) logger.emit({ body: 'x', attributes: record(i) });
  await provider.shutdown();
  return exported;
}

if (process.argv[2] === '--case') {
  await runCase(process.argv[3]);
} else {
  const machine = machineLine();
  const lake = await startLakeProcess({ fsync: true });
  const lakeEnv = caseEnv({ endpoint: lake.endpoint, channelArn: lake.channelArn, credentials: lake.credentials, deadLetter: '/dev/stderr' });
  const rows = [];
  try {
    const cases = [['pino', 'pino-auditlake'], ['winston', 'winston-auditlake'], ['otel', 'otel-auditlake'], ['otel', 'otel-exporter'], ['otel', 'otel-mixed']];
    for (const [host, ours] of cases) {
      const mix = ours === 'otel-mixed' ? 10 : 1;
      const measure = (name) => {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          const source = `bench-${name}-${i}`;
          const result = spawnSync(process.execPath, [self, '--case', name === 'otel-mixed' ? 'otel-auditlake' : name], {
            env: { ...process.env, ...lakeEnv, SOURCE: source, MIX: String(mix) },
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
          runs.push({ ...JSON.parse(result.stdout), source });
        }
        return runs;
      };
      const base = measure(host);
      const mine = measure(ours);
      const rate = (runs, key) => median(runs.map((r) => RECORDS / (r[key] / 1000)));
      rows.push({ host: LABELS[ours], base, ours: mine, rate, expected: Math.ceil(RECORDS / mix) });
    }
    const table = [];
    for (const { host, base, ours, rate, expected } of rows) {
      const delivered = [];
      for (const r of ours) delivered.push(Number((await lake.query(`SELECT count(*) AS n FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${r.source}'`))[0].n));
      const fmt = (n) => Math.round(n).toLocaleString('en-US');
      table.push([
        host,
        fmt(rate(base, 'logged')),
        fmt(rate(ours, 'logged')),
        ratio(rate(ours, 'logged'), rate(base, 'logged')),
        fmt(rate(base, 'finished')),
        fmt(rate(ours, 'finished')),
        ratio(rate(ours, 'finished'), rate(base, 'finished')),
        `${Math.min(...delivered).toLocaleString('en-US')} / ${expected.toLocaleString('en-US')}`,
      ]);
    }
    console.log(`\n## front ends: ${RECORDS.toLocaleString('en-US')} records per run (audit events unless said otherwise), median of ${RUNS}`);
    console.log(machine);
    console.log(`Each case in its own process, baseline and auditlake from the same run; the local lake runs in another process (fsync on). End to end: until the logger's shutdown resolved (baseline: written or discarded; auditlake: delivered).\n`);
    printTable(['front end', 'baseline main-thread rec/s', 'auditlake main-thread rec/s', 'ratio', 'baseline end-to-end rec/s', 'auditlake end-to-end rec/s', 'ratio', 'delivered (min of runs)'], table);
    console.log(`\nOTel BatchLogRecordProcessor with default settings, ${RECORDS.toLocaleString('en-US')} records emitted in one burst: ${(await otelDefaultDrops()).toLocaleString('en-US')} reached the exporter; the rest were dropped without an error.`);
  } finally {
    await lake.close();
  }
}
