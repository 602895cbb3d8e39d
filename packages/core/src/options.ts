import { DEFAULT_DEAD_LETTER_FILE, type DeadLetterHandler } from './dead-letter.js';
import { defaultDiagnostics, type Diagnostics } from './diagnostics.js';
import { CHANNEL_ARN_RULE, defaultEndpoint, parseChannelArn, type ChannelArn } from './channel-arn.js';
import { ConfigurationError } from './errors.js';
import { EXTERNAL_ID_PATTERN, MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BODY_BYTES } from './limits.js';
import { createRecordEncoder, DEFAULT_EVENT_VERSION, DEFAULT_USER_IDENTITY_TYPE, type RecordEncoder } from './map-record.js';
import type { AwsCredentials, AwsCredentialsProvider, PutAuditEventsSend } from './put-audit-events.js';
import { ACCOUNT_ID_PATTERN } from './schema.js';

/**
 * Options of `createAuditSink`. Precedence: the option, then its environment variable, then
 * the default. A bad value throws a `ConfigurationError` at construction, naming the option
 * (or variable), the rule and the value.
 */
export interface AuditSinkOptions {
  /**
   * The integration channel to send to: `arn:aws:cloudtrail:<region>:<account>:channel/<id>`.
   * Region and account are taken from it. Required. Environment: `AUDITLAKE_CHANNEL_ARN`.
   */
  channelArn?: string;
  /** External id required by the channel's resource policy, if it has one. Environment: `AUDITLAKE_EXTERNAL_ID`. @default none */
  externalId?: string;
  /**
   * Base URL of the service, e.g. the local lake's `http://127.0.0.1:4599`.
   * Environment: `AUDITLAKE_ENDPOINT`. @default `https://cloudtrail-data.<region>.amazonaws.com`
   */
  endpoint?: string;
  /**
   * Signing region. The channel lives in the ARN's region, so that is the default; this
   * option exists for endpoints that want another. `AWS_REGION` is deliberately not read:
   * Lambda sets it to the function's region, which need not be the channel's.
   * @default the channel ARN's region
   */
  region?: string;
  /** Credentials, or a provider of them; refreshed 5 minutes before expiry. @default the AWS SDK's Node default provider chain */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** `eventSource` for records that give none. @default resource `service.name` (pino: the logger's `name`) */
  eventSource?: string;
  /** `userIdentity.type` for records that give none. @default 'CustomUserIdentity' */
  userIdentityType?: string;
  /** `version` for records that give none. @default '1.0' */
  eventVersion?: string;
  /** `recipientAccountId` for records that give none. It must be the channel owner's account. @default the channel ARN's account */
  recipientAccountId?: string;
  /** Paths in `eventData` to replace by `"[REDACTED]"` before size checks and checksums: `requestParameters.password`, `*.token`, `**.secret`. @default [] */
  redact?: readonly string[];
  /** Most events per request, 1–100. @default 100 */
  maxBatchEvents?: number;
  /** Most bytes of a serialized request body, measured exactly in UTF-8; 1,024–1,000,000. @default 1000000 */
  maxBatchBytes?: number;
  /** Longest time an event waits for its batch to fill before it is sent anyway; 0 sends on the next turn of the event loop. @default 1000 */
  flushIntervalMs?: number;
  /**
   * Most events held at once: queued, in flight, or waiting for a retry. An event that does
   * not fit is dead-lettered with `QueueFull`. @default 10000
   */
  maxQueueEvents?: number;
  /** Most bytes (serialized entries) held at once; at least `maxBatchBytes`. @default 16777216 (16 MiB) */
  maxQueueBytes?: number;
  /** Most PutAuditEvents requests at once; a request keeps its slot through its retries. 1–100. @default 4 */
  maxConcurrentRequests?: number;
  /** Time limit of one request, from sending to the last byte of the response. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * How long after `add()` an event may still be retried; after that it is dead-lettered with
   * `RetryDeadline`. Every event is sent at least once. @default 60000
   */
  retryDeadlineMs?: number;
  /** Base of the full-jitter exponential backoff (four times this after throttling). @default 250 */
  retryBaseDelayMs?: number;
  /** Longest single backoff, unless the service's `Retry-After` asks for more. @default 20000 */
  retryMaxDelayMs?: number;
  /**
   * Longest `shutdown()` waits for delivery; what is still undelivered then is dead-lettered
   * with `Shutdown` (in-flight requests are aborted). pino ends its worker after 10 s, so keep
   * this below that. @default 5000
   */
  shutdownTimeoutMs?: number;
  /**
   * Longest an adapter holds a log call back (winston's callback, pino's read loop) when the
   * queue is full, to let a burst drain instead of dead-lettering it. After that the sink
   * sheds: new events are dead-lettered with `QueueFull` until the queue is down to 3/4, so
   * that a long outage never moves the backlog into the logger's own unbounded buffers.
   * 0 never holds back. @default 1000
   */
  maxBlockMs?: number;
  /**
   * Where undeliverable events go: a JSON Lines file path, or a function. Environment:
   * `AUDITLAKE_DEAD_LETTER` (a path). @default `./auditlake-dead-letter.jsonl` (created on the first letter, announced once)
   */
  deadLetter?: string | DeadLetterHandler;
  /** Send `eventDataChecksum` = base64(SHA-256(eventData)) with each event. @default true */
  checksum?: boolean;
  /**
   * The PutAuditEvents call. Replace it with any function of that shape, e.g. the official
   * AWS SDK client. When given, `endpoint`, `region` and `credentials` are not used.
   * @default the built-in client
   */
  send?: PutAuditEventsSend;
  /**
   * Decorates whatever `send` is in use (built-in or given), once, at construction. The OTel
   * adapter uses it to run requests with tracing suppressed. @default none
   */
  wrapSend?: (send: PutAuditEventsSend) => PutAuditEventsSend;
  /** Where the sink reports about itself; never the logger being transported. @default `util.debuglog('auditlake')` for debug, process warnings for warn and error */
  diagnostics?: Diagnostics;
  /** The environment to read `AUDITLAKE_*` variables from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The defaults, in one frozen place. */
export const AUDIT_SINK_DEFAULTS = Object.freeze({
  maxBatchEvents: MAX_EVENTS_PER_REQUEST,
  maxBatchBytes: MAX_REQUEST_BODY_BYTES,
  flushIntervalMs: 1000,
  maxQueueEvents: 10_000,
  maxQueueBytes: 16 * 1024 * 1024,
  maxConcurrentRequests: 4,
  requestTimeoutMs: 10_000,
  retryDeadlineMs: 60_000,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 20_000,
  shutdownTimeoutMs: 5000,
  maxBlockMs: 1000,
  deadLetter: DEFAULT_DEAD_LETTER_FILE,
  checksum: true,
  userIdentityType: DEFAULT_USER_IDENTITY_TYPE,
  eventVersion: DEFAULT_EVENT_VERSION,
});

export interface ResolvedAuditSinkOptions {
  channel: ChannelArn;
  externalId: string | undefined;
  endpoint: string;
  region: string;
  credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  recipientAccountId: string;
  encodeRecord: RecordEncoder;
  maxBatchEvents: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  maxQueueEvents: number;
  maxQueueBytes: number;
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  retryDeadlineMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  shutdownTimeoutMs: number;
  maxBlockMs: number;
  deadLetter: string | DeadLetterHandler;
  checksum: boolean;
  send: PutAuditEventsSend | undefined;
  wrapSend: ((send: PutAuditEventsSend) => PutAuditEventsSend) | undefined;
  diagnostics: Diagnostics;
}

const DAY_MS = 86_400_000;

export function resolveAuditSinkOptions(options: AuditSinkOptions = {}): ResolvedAuditSinkOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'an object', options);
  const env = options.env ?? process.env;
  const fromEnv = (option: keyof AuditSinkOptions, variable: string): { value: unknown; name: string } =>
    options[option] !== undefined ? { value: options[option], name: option } : { value: emptyToUndefined(env[variable]), name: variable };

  const arn = fromEnv('channelArn', 'AUDITLAKE_CHANNEL_ARN');
  if (arn.value === undefined) throw new ConfigurationError('channelArn', `a channel ARN (${CHANNEL_ARN_RULE}), given as the option or AUDITLAKE_CHANNEL_ARN`, undefined);
  const channel = parseChannelArn(arn.value);
  if (!channel) throw new ConfigurationError(arn.name, CHANNEL_ARN_RULE, arn.value);

  const externalId = fromEnv('externalId', 'AUDITLAKE_EXTERNAL_ID');
  if (externalId.value !== undefined && (typeof externalId.value !== 'string' || !EXTERNAL_ID_PATTERN.test(externalId.value))) {
    throw new ConfigurationError(externalId.name, '2-1224 characters of [A-Za-z0-9_+=,.@:/-]', externalId.value);
  }

  const region = optionalString(options, 'region') ?? channel.region;
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(region)) throw new ConfigurationError('region', 'an AWS region such as us-east-1', region);

  const endpoint = fromEnv('endpoint', 'AUDITLAKE_ENDPOINT');
  if (endpoint.value !== undefined && !isHttpUrl(endpoint.value)) throw new ConfigurationError(endpoint.name, 'an http:// or https:// URL', endpoint.value);

  const credentials = options.credentials;
  if (credentials !== undefined && typeof credentials !== 'function' && !isCredentials(credentials)) {
    throw new ConfigurationError('credentials', '{ accessKeyId, secretAccessKey, sessionToken? } or a function returning a promise of it', '[object]');
  }

  const recipientAccountId = optionalString(options, 'recipientAccountId') ?? channel.accountId;
  if (!ACCOUNT_ID_PATTERN.test(recipientAccountId)) throw new ConfigurationError('recipientAccountId', 'a 12-digit AWS account id', recipientAccountId);
  if (options.redact !== undefined && !Array.isArray(options.redact)) throw new ConfigurationError('redact', 'an array of paths', options.redact);

  const maxBatchEvents = integer(options, 'maxBatchEvents', 1, MAX_EVENTS_PER_REQUEST);
  const maxBatchBytes = integer(options, 'maxBatchBytes', 1024, MAX_REQUEST_BODY_BYTES);
  const maxQueueBytes = integer(options, 'maxQueueBytes', maxBatchBytes, Number.MAX_SAFE_INTEGER, `at least maxBatchBytes (${maxBatchBytes})`);

  const deadLetter = fromEnv('deadLetter', 'AUDITLAKE_DEAD_LETTER');
  if (deadLetter.value !== undefined && typeof deadLetter.value !== 'function' && (typeof deadLetter.value !== 'string' || deadLetter.value.length === 0)) {
    throw new ConfigurationError(deadLetter.name, 'a file path or a function (letter) => void', deadLetter.value);
  }
  if (options.send !== undefined && typeof options.send !== 'function') throw new ConfigurationError('send', 'a function (input) => Promise<output>', options.send);
  if (options.wrapSend !== undefined && typeof options.wrapSend !== 'function') throw new ConfigurationError('wrapSend', 'a function (send) => send', options.wrapSend);
  if (options.checksum !== undefined && typeof options.checksum !== 'boolean') throw new ConfigurationError('checksum', 'true or false', options.checksum);
  const diagnostics = options.diagnostics ?? defaultDiagnostics;
  if (typeof diagnostics !== 'object' || diagnostics === null || !['debug', 'warn', 'error'].every((k) => typeof (diagnostics as unknown as Record<string, unknown>)[k] === 'function')) {
    throw new ConfigurationError('diagnostics', 'an object with debug, warn and error functions', diagnostics);
  }

  return {
    channel,
    externalId: externalId.value,
    endpoint: (endpoint.value as string | undefined) ?? defaultEndpoint(channel.partition, region),
    region,
    credentials,
    recipientAccountId,
    encodeRecord: createRecordEncoder({
      eventSource: optionalString(options, 'eventSource'),
      userIdentityType: optionalString(options, 'userIdentityType') ?? AUDIT_SINK_DEFAULTS.userIdentityType,
      eventVersion: optionalString(options, 'eventVersion') ?? AUDIT_SINK_DEFAULTS.eventVersion,
      recipientAccountId,
      redact: options.redact ?? [],
    }),
    maxBatchEvents,
    maxBatchBytes,
    flushIntervalMs: integer(options, 'flushIntervalMs', 0, DAY_MS),
    maxQueueEvents: integer(options, 'maxQueueEvents', 1, Number.MAX_SAFE_INTEGER),
    maxQueueBytes,
    maxConcurrentRequests: integer(options, 'maxConcurrentRequests', 1, 100),
    requestTimeoutMs: integer(options, 'requestTimeoutMs', 1, DAY_MS),
    retryDeadlineMs: integer(options, 'retryDeadlineMs', 0, 7 * DAY_MS),
    retryBaseDelayMs: integer(options, 'retryBaseDelayMs', 1, DAY_MS),
    retryMaxDelayMs: integer(options, 'retryMaxDelayMs', 1, DAY_MS),
    shutdownTimeoutMs: integer(options, 'shutdownTimeoutMs', 0, DAY_MS),
    maxBlockMs: integer(options, 'maxBlockMs', 0, DAY_MS),
    deadLetter: (deadLetter.value as string | DeadLetterHandler | undefined) ?? AUDIT_SINK_DEFAULTS.deadLetter,
    checksum: options.checksum ?? AUDIT_SINK_DEFAULTS.checksum,
    send: options.send,
    wrapSend: options.wrapSend,
    diagnostics,
  };
}

type NumericOption = {
  [K in keyof AuditSinkOptions & keyof typeof AUDIT_SINK_DEFAULTS]: (typeof AUDIT_SINK_DEFAULTS)[K] extends number ? K : never;
}[keyof AuditSinkOptions & keyof typeof AUDIT_SINK_DEFAULTS];

function integer(options: AuditSinkOptions, name: NumericOption, min: number, max: number, rule?: string): number {
  const value = options[name] ?? AUDIT_SINK_DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(name, rule ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`), value);
  }
  return value;
}

function optionalString(options: AuditSinkOptions, name: 'region' | 'eventSource' | 'userIdentityType' | 'eventVersion' | 'recipientAccountId'): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0) throw new ConfigurationError(name, 'a non-empty string', value);
  return value;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

function isCredentials(value: unknown): value is AwsCredentials {
  const c = value as Partial<AwsCredentials> | null;
  return typeof c === 'object' && c !== null && typeof c.accessKeyId === 'string' && c.accessKeyId.length > 0 && typeof c.secretAccessKey === 'string';
}
