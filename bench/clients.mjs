// Every logger + transport the benches run, opened the way its documentation says, with a
// uniform face: `ready` (resolves once the client can take records), `log(i)` (logs record i)
// and `end()` (the library's documented shutdown, resolving once it is done).
//
// auditlake clients take their options as data (`options`), merged over what the bench sets,
// so the same harness runs against any engine (e.g. `{ "spoolDir": "/tmp/spool" }`). The
// endpoint, channel, credentials and dead-letter file come from the AUDITLAKE_* / AWS_*
// environment the parent sets, as a deployed service would have them.
import { once } from 'node:events';
import { record } from './workload.mjs';

const MESSAGE = 'role binding changed';
const LOG_GROUP = 'bench';

/**
 * The clients, by name: `side` says whose it is, `logger` which front end. auditlake clients
 * send to CloudTrail Lake; their `-cwl` twins send the same events to CloudWatch Logs (core's
 * second destination), the API the CloudWatch peers use.
 */
export const CLIENTS = {
  'winston-auditlake': { side: 'auditlake', logger: 'winston', label: '@auditlake/winston' },
  'winston-auditlake-cwl': { side: 'auditlake', logger: 'winston', label: '@auditlake/winston → CloudWatch Logs', cwl: true },
  'winston-cloudwatch': { side: 'peer', logger: 'winston', label: 'winston-cloudwatch' },
  'pino-auditlake': { side: 'auditlake', logger: 'pino', label: '@auditlake/pino' },
  'pino-auditlake-cwl': { side: 'auditlake', logger: 'pino', label: '@auditlake/pino → CloudWatch Logs', cwl: true },
  'pino-cloudwatch': { side: 'peer', logger: 'pino', label: '@serdnam/pino-cloudwatch-transport' },
  'otel-auditlake-processor': { side: 'auditlake', logger: 'otel', label: 'AuditLakeLogRecordProcessor' },
  'otel-auditlake-processor-cwl': { side: 'auditlake', logger: 'otel', label: 'AuditLakeLogRecordProcessor → CloudWatch Logs', cwl: true },
  'otel-auditlake-exporter': { side: 'auditlake', logger: 'otel', label: 'BatchLogRecordProcessor + AuditLakeLogRecordExporter' },
  'otel-otlp-json': { side: 'peer', logger: 'otel', label: 'BatchLogRecordProcessor + OTLP/HTTP JSON' },
  'otel-otlp-proto': { side: 'peer', logger: 'otel', label: 'BatchLogRecordProcessor + OTLP/HTTP protobuf' },
  'otel-floor-lake': { side: 'floor', logger: 'otel', label: 'floor: BatchLogRecordProcessor + PutAuditEvents, nothing else' },
  'otel-floor-cwl': { side: 'floor', logger: 'otel', label: 'floor: BatchLogRecordProcessor + PutLogEvents, nothing else', cwl: true },
};

const winstonFormat = (winston) => winston.format.combine(winston.format.timestamp(), winston.format.json());

async function openWinston(name, { key, endpoint, options }) {
  const { default: winston } = await import('winston');
  if (name.startsWith('winston-auditlake')) {
    const { AuditLakeTransport } = await import('@auditlake/winston');
    const transport = new AuditLakeTransport({ eventSource: key, ...options });
    const logger = winston.createLogger({ format: winstonFormat(winston), transports: [transport] });
    return {
      ready: Promise.resolve(),
      log: (i) => logger.info(MESSAGE, record(i)),
      // 'finish' comes once the transport has delivered (the documented way to wait).
      end: async () => {
        const finished = once(logger, 'finish');
        logger.end();
        await finished;
      },
    };
  }
  const { default: WinstonCloudWatch } = await import('winston-cloudwatch');
  const transport = new WinstonCloudWatch({
    logGroupName: LOG_GROUP,
    logStreamName: key,
    awsRegion: 'us-east-1',
    jsonMessage: true,
    awsOptions: { endpoint },
    errorHandler: (error) => console.error(`winston-cloudwatch: ${error.message}`),
  });
  const logger = winston.createLogger({ format: winstonFormat(winston), transports: [transport] });
  return {
    ready: Promise.resolve(),
    log: (i) => logger.info(MESSAGE, record(i)),
    // Its README: kthxbye(cb) sends what is buffered and stops the upload interval.
    end: async () => {
      await new Promise((resolve) => transport.kthxbye((error) => (error && console.error(`winston-cloudwatch kthxbye: ${error.message}`), resolve())));
      logger.close();
    },
  };
}

async function openPino(name, { key, options }) {
  const { default: pino } = await import('pino');
  const env = process.env;
  const transport =
    name.startsWith('pino-auditlake')
      ? (await import('@auditlake/pino')).transport(options)
      : pino.transport({
          target: '@serdnam/pino-cloudwatch-transport',
          options: { logGroupName: LOG_GROUP, logStreamName: key, awsRegion: 'us-east-1', awsAccessKeyId: env.AWS_ACCESS_KEY_ID, awsSecretAccessKey: env.AWS_SECRET_ACCESS_KEY, interval: 1000 },
        });
  const logger = pino({ name: key, base: undefined }, transport);
  // The worker is unref'd: something must hold the event loop open while it starts and ends.
  const keepAlive = setInterval(() => {}, 1000);
  const ready = once(transport, 'ready').then(() => clearInterval(keepAlive));
  return {
    ready,
    log: (i) => logger.info(record(i), MESSAGE),
    // pino's documented ending: `await logger.flush()` (for @auditlake/pino it resolves once the
    // worker delivered or dead-lettered every line before it; the peer's once its worker read
    // them), then end. 'close' comes when the worker has run its close hook.
    end: async () => {
      const hold = setInterval(() => {}, 1000);
      await new Promise((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
      const closed = once(transport, 'close');
      transport.end();
      await closed;
      clearInterval(hold);
    },
  };
}

async function openOtel(name, { key, endpoint, options, queue }) {
  const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  // queue: the burst size, so that the SDK's batch processor does not drop (its default 2,048
  // drops silently); `undefined` keeps every library's default.
  const batch = (exporter) => new BatchLogRecordProcessor(queue === undefined ? { exporter } : { exporter, maxQueueSize: queue });
  let processor;
  if (name.startsWith('otel-auditlake-processor')) {
    const { AuditLakeLogRecordProcessor } = await import('@auditlake/otel');
    const sized = queue === undefined ? {} : { maxQueueEvents: queue, maxQueueBytes: Math.max(16 * 1024 * 1024, 4 * 1024 * queue) };
    processor = new AuditLakeLogRecordProcessor({ ...sized, ...options });
  } else if (name === 'otel-auditlake-exporter') {
    const { AuditLakeLogRecordExporter } = await import('@auditlake/otel');
    processor = batch(new AuditLakeLogRecordExporter({ ...options }));
  } else if (name.startsWith('otel-floor')) {
    processor = await floorProcessor(name, key, queue, BatchLogRecordProcessor);
  } else {
    const { OTLPLogExporter } = await import(name === 'otel-otlp-proto' ? '@opentelemetry/exporter-logs-otlp-proto' : '@opentelemetry/exporter-logs-otlp-http');
    processor = batch(new OTLPLogExporter({ url: `${endpoint}/v1/logs` }));
  }
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': key }), processors: [processor] });
  const logger = provider.getLogger('bench');
  return {
    ready: Promise.resolve(),
    log: (i) => logger.emit({ severityText: 'INFO', body: MESSAGE, attributes: record(i) }),
    end: () => provider.shutdown(),
  };
}

/**
 * The SDK's batch processor in front of a floor exporter (bench/floor-exporters.mjs): exports of
 * the SDK's default 512 records for PutAuditEvents (sent as requests of 100, the service's
 * limit), and of 700 for PutLogEvents (one request each, under its 1 MiB, as auditlake fills them).
 */
async function floorProcessor(name, key, queue, BatchLogRecordProcessor) {
  const { createPutAuditEventsClient, createCloudWatchLogsClient } = await import('@auditlake/core');
  const { putAuditEventsFloorExporter, putLogEventsFloorExporter } = await import('./floor-exporters.mjs');
  const env = process.env;
  const connection = { region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } };
  const lake = name === 'otel-floor-lake';
  const exporter = lake
    ? putAuditEventsFloorExporter(createPutAuditEventsClient({ ...connection, endpoint: env.AUDITLAKE_ENDPOINT }), env.AUDITLAKE_CHANNEL_ARN)
    : putLogEventsFloorExporter(createCloudWatchLogsClient({ ...connection, endpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS }), LOG_GROUP, key, env.AUDITLAKE_CHANNEL_ARN.split(':')[4]);
  const sized = queue === undefined ? {} : { maxQueueSize: queue };
  return new BatchLogRecordProcessor({ exporter, maxExportBatchSize: lake ? 512 : 700, ...sized });
}

/** Opens client `name`. `context`: { key (stream / source name), endpoint, options (auditlake options), queue }. */
export async function openClient(name, context) {
  const client = CLIENTS[name];
  if (!client) throw new Error(`unknown client "${name}" (known: ${Object.keys(CLIENTS).join(', ')})`);
  const open = { winston: openWinston, pino: openPino, otel: openOtel }[client.logger];
  const options = context.options ?? {};
  // A log group of its own per fake endpoint: created by the sink, as a first run would.
  const destination = client.cwl ? { logGroupName: LOG_GROUP, logStreamName: context.key, createLogGroup: true } : {};
  return open(name, { ...context, options: { ...destination, ...options } });
}

