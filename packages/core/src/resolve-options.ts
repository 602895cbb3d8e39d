import { Agent as HttpAgent } from 'node:http';
import { isAbsolute, join } from 'node:path';
import { checkProxyOption } from './aws/proxy.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_DEAD_LETTER_FILE, type DeadLetterHandler } from './dead-letter.js';
import { CHANNEL_ARN_RULE } from './destinations/cloudtrail-lake/channel-arn.js';
import { resolveLakeOptions, type LakeOptions } from './destinations/cloudtrail-lake/options.js';
import { MAX_LOG_BATCH_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from './destinations/cloudwatch-logs/limits.js';
import { resolveLogsOptions, type LogsOptions } from './destinations/cloudwatch-logs/options.js';
import { defaultDiagnostics, type Diagnostics } from './diagnostics.js';
import { ConfigurationError } from './errors.js';
import { createRecordEncoder, DEFAULT_EVENT_VERSION, DEFAULT_OVER_LONG_FIELDS, DEFAULT_USER_IDENTITY_TYPE, type RecordEncoder } from './map-record.js';
import { closestName, emptyToUndefined, integer, optionalBoolean, optionalFunction, optionalString, sourced } from './option-checks.js';
import { compileRedactPath, type RedactPath } from './redact.js';
import type { MeterProviderLike } from './self-metrics.js';
import type { AuditSinkOptions } from './options.js';

/**
 * The options resolved: each option, else its environment variable, else its default, checked
 * once at construction; the result is what the engine reads.
 */
/** The defaults, in one frozen place. */
export const AUDIT_SINK_DEFAULTS = Object.freeze({
  maxBatchEvents: 100,
  maxBatchBytes: 1_000_000,
  flushIntervalMs: 1000,
  maxQueueEvents: 50_000,
  maxQueueBytes: 32 * 1024 * 1024,
  maxConcurrentRequests: 4,
  adaptiveRate: true,
  requestTimeoutMs: 10_000,
  retryDeadlineMs: 60_000,
  spoolRetryDeadlineMs: 86_400_000,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 20_000,
  shutdownTimeoutMs: 30_000,
  maxBlockMs: 1000,
  deadLetter: DEFAULT_DEAD_LETTER_FILE,
  maxSpoolBytes: 1024 * 1024 * 1024,
  spoolSegmentBytes: 8 * 1024 * 1024,
  spoolSyncIntervalMs: 500,
  persistOnExit: true,
  checksum: true,
  createLogStream: true,
  createLogGroup: false,
  userIdentityType: DEFAULT_USER_IDENTITY_TYPE,
  eventVersion: DEFAULT_EVENT_VERSION,
  overLongFields: DEFAULT_OVER_LONG_FIELDS,
});

export interface ResolvedAuditSinkOptions {
  destination: LakeOptions | LogsOptions;
  /** What records without one get; for CloudWatch Logs `undefined` unless given, and then not required. */
  recipientAccountId: string | undefined;
  encodeRecord: RecordEncoder;
  redact: readonly RedactPath[];
  maxQueueEvents: number;
  maxQueueBytes: number;
  flushIntervalMs: number;
  maxConcurrentRequests: number;
  adaptiveRate: boolean;
  requestTimeoutMs: number;
  retryDeadlineMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  shutdownTimeoutMs: number;
  maxBlockMs: number;
  deadLetter: string | DeadLetterHandler;
  /** Where a dead-letter handler's own failures go. */
  fallbackDeadLetterFile: string;
  spool: { dir: string; maxBytes: number; segmentBytes: number; syncIntervalMs: number } | undefined;
  persistOnExit: boolean;
  onDelivered: ((ids: readonly string[]) => void) | undefined;
  diagnostics: Diagnostics;
  clock: Clock;
  meterProvider: MeterProviderLike | false | undefined;
  /** How the built-in client reaches the endpoint. */
  transport: { agent: HttpAgent | undefined; proxy: string | false | undefined; env: Readonly<Record<string, string | undefined>> };
  /** Options given that auditlake does not know, each with the closest known name. */
  unknownOptions: { name: string; suggestion: string | undefined }[];
}

const DAY_MS = 86_400_000;
const KNOWN_OPTIONS: readonly string[] = [
  'channelArn', 'externalId', 'endpoint', 'region', 'credentials', 'eventSource', 'userIdentityType', 'eventVersion',
  'recipientAccountId', 'redact', 'overLongFields', 'maxBatchEvents', 'maxBatchBytes', 'flushIntervalMs', 'maxQueueEvents', 'maxQueueBytes',
  'maxConcurrentRequests', 'adaptiveRate', 'requestTimeoutMs', 'retryDeadlineMs', 'retryBaseDelayMs', 'retryMaxDelayMs', 'shutdownTimeoutMs',
  'maxBlockMs', 'deadLetter', 'spoolDir', 'maxSpoolBytes', 'spoolSegmentBytes', 'spoolSyncIntervalMs', 'persistOnExit', 'checksum', 'send',
  'wrapSend', 'onDelivered', 'proxy', 'agent', 'meterProvider', 'diagnostics', 'env', 'clock', 'logGroupName', 'logStreamName', 'createLogStream', 'createLogGroup',
] satisfies (keyof AuditSinkOptions)[];

type DestinationKind = (LakeOptions | LogsOptions)['kind'];

/** Options that belong to one destination only: given with the other, they are a configuration error. */
const OWN_OPTIONS: Readonly<Record<DestinationKind, readonly (keyof AuditSinkOptions)[]>> = {
  'cloudtrail-lake': ['externalId', 'checksum'],
  'cloudwatch-logs': ['logStreamName', 'createLogStream', 'createLogGroup'],
};

const BATCH_CEILINGS: Readonly<Record<DestinationKind, { events: number; bytes: number }>> = {
  'cloudtrail-lake': { events: AUDIT_SINK_DEFAULTS.maxBatchEvents, bytes: AUDIT_SINK_DEFAULTS.maxBatchBytes },
  'cloudwatch-logs': { events: MAX_LOG_EVENTS_PER_REQUEST, bytes: MAX_LOG_BATCH_BYTES },
};

export function resolveAuditSinkOptions(options: AuditSinkOptions = {}): ResolvedAuditSinkOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const env = options.env ?? process.env;
  const get = <K extends keyof typeof AUDIT_SINK_DEFAULTS>(name: K) => (o[name] ?? AUDIT_SINK_DEFAULTS[name]) as unknown;
  // Lambda's file system is read-only except /tmp: relative paths land there.
  const base = env.AWS_LAMBDA_FUNCTION_NAME ? '/tmp' : undefined;

  const kind = destinationKind(o, env);
  const ceiling = BATCH_CEILINGS[kind];
  const maxBatchEvents = integer('maxBatchEvents', o.maxBatchEvents ?? ceiling.events, 1, ceiling.events);
  const maxBatchBytes = integer('maxBatchBytes', o.maxBatchBytes ?? ceiling.bytes, 1024, ceiling.bytes);
  const requestTimeoutMs = integer('requestTimeoutMs', get('requestTimeoutMs'), 1, DAY_MS);
  const maxConcurrentRequests = integer('maxConcurrentRequests', get('maxConcurrentRequests'), 1, 100);
  const shared = { maxBatchEvents, maxBatchBytes, requestTimeoutMs, maxConcurrentRequests };
  const destination = kind === 'cloudwatch-logs' ? resolveLogsOptions(o, env, shared) : resolveLakeOptions(o, env, shared);

  const recipientAccountId = optionalString('recipientAccountId', o.recipientAccountId) ?? (destination.kind === 'cloudtrail-lake' ? destination.channel.accountId : undefined);
  if (recipientAccountId !== undefined && !/^\d{12}$/.test(recipientAccountId)) throw new ConfigurationError('recipientAccountId', 'a 12-digit AWS account id', recipientAccountId);
  if (o.redact !== undefined && !Array.isArray(o.redact)) throw new ConfigurationError('redact', 'an array of paths', o.redact);
  const redact = ((o.redact as unknown[] | undefined) ?? []).map((path, index) => {
    const compiled = compileRedactPath(path as string);
    if (!compiled) throw new ConfigurationError(`redact[${index}]`, 'a dot-separated path such as "requestParameters.password" or "**.token"', path);
    return compiled;
  });

  const deadLetter = sourced(o, 'deadLetter', env, 'AUDITLAKE_DEAD_LETTER');
  if (deadLetter.value !== undefined && typeof deadLetter.value !== 'function' && (typeof deadLetter.value !== 'string' || deadLetter.value.length === 0)) {
    throw new ConfigurationError(deadLetter.name, 'a file path or a function (letter) => void', deadLetter.value);
  }
  const spoolDir = sourced(o, 'spoolDir', env, 'AUDITLAKE_SPOOL_DIR');
  if (spoolDir.value !== undefined && (typeof spoolDir.value !== 'string' || spoolDir.value.length === 0)) {
    throw new ConfigurationError(spoolDir.name, 'a directory path', spoolDir.value);
  }
  const spool = spoolDir.value === undefined ? undefined : {
    dir: inBase(spoolDir.value, base),
    maxBytes: integer('maxSpoolBytes', get('maxSpoolBytes'), 1024 * 1024, Number.MAX_SAFE_INTEGER),
    segmentBytes: integer('spoolSegmentBytes', get('spoolSegmentBytes'), 64 * 1024, 128 * 1024 * 1024),
    syncIntervalMs: integer('spoolSyncIntervalMs', get('spoolSyncIntervalMs'), 0, DAY_MS),
  };

  const diagnostics = (o.diagnostics ?? defaultDiagnostics) as Diagnostics;
  if (typeof diagnostics !== 'object' || diagnostics === null || !['debug', 'warn', 'error'].every((k) => typeof (diagnostics as unknown as Record<string, unknown>)[k] === 'function')) {
    throw new ConfigurationError('diagnostics', 'an object with debug, warn and error functions', diagnostics);
  }
  const clock = (o.clock ?? systemClock) as Clock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.random !== 'function') {
    throw new ConfigurationError('clock', 'an object with now, setTimeout and random functions', clock);
  }
  const fallbackDeadLetterFile = inBase(DEFAULT_DEAD_LETTER_FILE, base);
  if (o.agent !== undefined && !(o.agent instanceof HttpAgent)) throw new ConfigurationError('agent', 'an http.Agent or https.Agent', o.agent);
  checkProxyOption(o.proxy);
  const meterProvider = o.meterProvider as Partial<MeterProviderLike> | false | undefined | null;
  if (meterProvider !== undefined && meterProvider !== false && typeof meterProvider?.getMeter !== 'function') {
    throw new ConfigurationError('meterProvider', 'an OpenTelemetry MeterProvider (with getMeter), or false', meterProvider);
  }

  return {
    destination,
    recipientAccountId,
    encodeRecord: createRecordEncoder({
      eventSource: optionalString('eventSource', o.eventSource),
      userIdentityType: optionalString('userIdentityType', o.userIdentityType) ?? AUDIT_SINK_DEFAULTS.userIdentityType,
      eventVersion: optionalString('eventVersion', o.eventVersion) ?? AUDIT_SINK_DEFAULTS.eventVersion,
      recipientAccountId,
      redact: (o.redact as string[] | undefined) ?? [],
      now: clock.now,
      overLongFields: (o.overLongFields ?? AUDIT_SINK_DEFAULTS.overLongFields) as 'truncate' | 'deadLetter',
    }),
    redact,
    maxQueueEvents: integer('maxQueueEvents', get('maxQueueEvents'), 1, Number.MAX_SAFE_INTEGER),
    maxQueueBytes: integer('maxQueueBytes', get('maxQueueBytes'), maxBatchBytes, Number.MAX_SAFE_INTEGER, `at least maxBatchBytes (${maxBatchBytes})`),
    flushIntervalMs: integer('flushIntervalMs', get('flushIntervalMs'), 0, DAY_MS),
    maxConcurrentRequests,
    adaptiveRate: optionalBoolean('adaptiveRate', o.adaptiveRate) ?? AUDIT_SINK_DEFAULTS.adaptiveRate,
    requestTimeoutMs,
    retryDeadlineMs: integer('retryDeadlineMs', o.retryDeadlineMs ?? (spool ? AUDIT_SINK_DEFAULTS.spoolRetryDeadlineMs : AUDIT_SINK_DEFAULTS.retryDeadlineMs), 0, 30 * DAY_MS),
    retryBaseDelayMs: integer('retryBaseDelayMs', get('retryBaseDelayMs'), 1, DAY_MS),
    retryMaxDelayMs: integer('retryMaxDelayMs', get('retryMaxDelayMs'), 1, DAY_MS),
    shutdownTimeoutMs: integer('shutdownTimeoutMs', get('shutdownTimeoutMs'), 0, DAY_MS),
    maxBlockMs: integer('maxBlockMs', get('maxBlockMs'), 0, DAY_MS),
    deadLetter: typeof deadLetter.value === 'function' ? (deadLetter.value as DeadLetterHandler) : inBase((deadLetter.value) ?? AUDIT_SINK_DEFAULTS.deadLetter, base),
    fallbackDeadLetterFile,
    spool,
    persistOnExit: optionalBoolean('persistOnExit', o.persistOnExit) ?? AUDIT_SINK_DEFAULTS.persistOnExit,
    onDelivered: optionalFunction('onDelivered', o.onDelivered, 'a function (ids) => void'),
    diagnostics,
    clock,
    meterProvider: meterProvider as MeterProviderLike | false | undefined,
    transport: { agent: o.agent, proxy: o.proxy as string | false | undefined, env },
    unknownOptions: Object.keys(o)
      .filter((name) => !KNOWN_OPTIONS.includes(name))
      .map((name) => ({ name, suggestion: closestName(name, KNOWN_OPTIONS) })),
  };
}

/**
 * CloudTrail Lake or CloudWatch Logs: exactly one of `channelArn` and `logGroupName`, the
 * options first, then their variables. An option of the other destination is refused, so that
 * nothing a user asked for is silently not done.
 */
function destinationKind(o: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): DestinationKind {
  const both = 'give channelArn (CloudTrail Lake) or logGroupName (CloudWatch Logs), not both';
  let kind: DestinationKind;
  if (o.channelArn !== undefined && o.logGroupName !== undefined) throw new ConfigurationError('logGroupName', `not to be given with channelArn: ${both}`, o.logGroupName);
  if (o.channelArn !== undefined) kind = 'cloudtrail-lake';
  else if (o.logGroupName !== undefined) kind = 'cloudwatch-logs';
  else {
    const arn = emptyToUndefined(env.AUDITLAKE_CHANNEL_ARN);
    const group = emptyToUndefined(env.AUDITLAKE_LOG_GROUP);
    if (arn !== undefined && group !== undefined) throw new ConfigurationError('AUDITLAKE_LOG_GROUP', `not to be set with AUDITLAKE_CHANNEL_ARN: ${both}`, group);
    if (arn === undefined && group === undefined) {
      throw new ConfigurationError(
        'channelArn',
        `a channel ARN (${CHANNEL_ARN_RULE}) for CloudTrail Lake, or else a logGroupName for CloudWatch Logs, given as the option or AUDITLAKE_CHANNEL_ARN / AUDITLAKE_LOG_GROUP`,
        undefined,
      );
    }
    kind = group === undefined ? 'cloudtrail-lake' : 'cloudwatch-logs';
  }
  const other = kind === 'cloudtrail-lake' ? 'cloudwatch-logs' : 'cloudtrail-lake';
  for (const name of OWN_OPTIONS[other]) {
    if (o[name] !== undefined) {
      throw new ConfigurationError(name, `not to be given with ${kind === 'cloudtrail-lake' ? 'channelArn' : 'logGroupName'}: it is an option of ${other === 'cloudtrail-lake' ? 'CloudTrail Lake (channelArn)' : 'CloudWatch Logs (logGroupName)'}`, o[name]);
    }
  }
  return kind;
}

/** A relative path under `base` when there is one (Lambda's /tmp). */
function inBase(path: string, base: string | undefined): string {
  return base === undefined || isAbsolute(path) ? path : join(base, path);
}

