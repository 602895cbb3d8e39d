import { Agent as HttpAgent } from 'node:http';
import { isAbsolute, join } from 'node:path';
import type { AwsCredentials, AwsCredentialsProvider } from './aws/credentials.js';
import { checkProxyOption } from './aws/proxy.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_DEAD_LETTER_FILE, type DeadLetterHandler } from './dead-letter.js';
import { CHANNEL_ARN_RULE } from './destinations/cloudtrail-lake/channel-arn.js';
import { resolveLakeOptions, type LakeOptions } from './destinations/cloudtrail-lake/options.js';
import type { PutAuditEventsInput, PutAuditEventsOutput } from './destinations/cloudtrail-lake/put-audit-events-client.js';
import type { PutLogEventsInput, PutLogEventsOutput } from './destinations/cloudwatch-logs/cloudwatch-logs-client.js';
import { MAX_LOG_BATCH_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from './destinations/cloudwatch-logs/limits.js';
import { resolveLogsOptions, type LogsOptions } from './destinations/cloudwatch-logs/options.js';
import { defaultDiagnostics, type Diagnostics } from './diagnostics.js';
import { ConfigurationError } from './errors.js';
import { createRecordEncoder, DEFAULT_EVENT_VERSION, DEFAULT_OVER_LONG_FIELDS, DEFAULT_USER_IDENTITY_TYPE, type RecordEncoder } from './map-record.js';
import { closestName, emptyToUndefined, integer, optionalBoolean, optionalFunction, optionalString, sourced } from './option-checks.js';
import { compileRedactPath, type RedactPath } from './redact.js';
import type { MeterProviderLike } from './self-metrics.js';

/**
 * Options of `createAuditSink` (and of every front end, which passes them on). Precedence: the
 * option, then its environment variable, then the default. A bad value throws a
 * `ConfigurationError` at construction, naming the option (or variable), the rule and the value;
 * an unknown option is reported on stderr with the closest known name.
 *
 * The destination is CloudTrail Lake when `channelArn` is given, CloudWatch Logs when
 * `logGroupName` is: exactly one of the two (options win over the environment; both given, or
 * neither, is a `ConfigurationError`). An option of the other destination is one too.
 */
export interface AuditSinkOptions {
  /**
   * The CloudTrail Lake integration channel to send to:
   * `arn:<partition>:cloudtrail:<region>:<account>:channel/<id>`. Region and account are taken
   * from it. Give this or `logGroupName`. Environment: `AUDITLAKE_CHANNEL_ARN`.
   */
  channelArn?: string;
  /** External id required by the channel's resource policy, if it has one (CloudTrail Lake only). Environment: `AUDITLAKE_EXTERNAL_ID`. @default none */
  externalId?: string;
  /**
   * The CloudWatch Logs log group to send to, through `PutLogEvents`: each audit event is one log
   * event whose message is its `eventData` JSON and whose timestamp is its time. Give this or
   * `channelArn`. Needs `logs:PutLogEvents` on the group (and `logs:CreateLogStream`,
   * `logs:CreateLogGroup` for what `createLogStream` and `createLogGroup` create).
   * Environment: `AUDITLAKE_LOG_GROUP`.
   */
  logGroupName?: string;
  /**
   * The log stream in `logGroupName` (CloudWatch Logs only). Required with a custom `send` or
   * `createLogStream: false`, since the default stream is new in each process.
   * Environment: `AUDITLAKE_LOG_STREAM`.
   * @default one per process: `<hostname>-<pid>-<8 random hex digits>`, created before the first request
   */
  logStreamName?: string;
  /**
   * Create the log stream when it does not exist (CloudWatch Logs only, built-in client only;
   * needs `logs:CreateLogStream`). Off, a missing stream is a configuration fault: reported once,
   * events dead-lettered. @default true
   */
  createLogStream?: boolean;
  /**
   * Create the log group when it does not exist (CloudWatch Logs only, built-in client only; needs
   * `logs:CreateLogGroup`, and the group is created with the account's defaults: no retention
   * limit, no KMS key). Off, a missing group is a configuration fault. @default false
   */
  createLogGroup?: boolean;
  /**
   * Base URL of the service, e.g. the local lake's `http://127.0.0.1:4599`. Environment:
   * `AUDITLAKE_ENDPOINT`, then the AWS SDKs' `AWS_ENDPOINT_URL_CLOUDTRAIL_DATA` (CloudTrail Lake)
   * or `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` (CloudWatch Logs), then `AWS_ENDPOINT_URL`.
   * @default `https://cloudtrail-data.<region>.amazonaws.com`; `https://logs.<region>.amazonaws.com` (`.amazonaws.com.cn` in China, …)
   */
  endpoint?: string;
  /**
   * Signing region. For CloudTrail Lake the channel lives in the ARN's region, so that is the
   * default, and this option exists for endpoints that want another; `AWS_REGION` is
   * deliberately not read for a channel: Lambda sets it to the function's region, which need not
   * be the channel's. For CloudWatch Logs it is the log group's region: the option, else
   * `AWS_REGION`, else `AWS_DEFAULT_REGION`; required unless `send` is given.
   * @default the channel ARN's region; for CloudWatch Logs `AWS_REGION` or `AWS_DEFAULT_REGION`
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
  /**
   * `recipientAccountId` for records that give none. For CloudTrail Lake it must be the channel
   * owner's account. CloudWatch Logs has no channel: the field is then written only when given
   * (here or in the record), since Logs Insights already shows the owning account in `@log`.
   * @default the channel ARN's account; none for CloudWatch Logs
   */
  recipientAccountId?: string;
  /** Paths in `eventData` to replace by `"[REDACTED]"` before size checks and checksums: `requestParameters.password`, `*.token`, `**.secret`. @default [] */
  redact?: readonly string[];
  /**
   * What becomes of a text field over its schema cap (`errorMessage` and `errorCode` 256
   * characters, `userAgent`, `eventName`, `eventSource`, `UID` and `userIdentity.principalId`
   * 1024, `version` 256, `userIdentity.type` 128).
   *
   * - `'truncate'`: the field is cut to its cap, ending with `…[truncated N chars]`, its full
   *   text is kept in `additionalEventData.truncated.<field>` (shaped like `eventData`, cut
   *   further if the 28 kB cap needs it), `stats().truncatedFields` counts it, and the first one
   *   is announced on stderr. An audit record with a cut message beats no record.
   * - `'deadLetter'`: a field given in `audit` that is too long dead-letters the event with
   *   `FieldTooLong`, as the service itself would; for audit trails that must hold exactly
   *   what was given, or nothing.
   *
   * Fields auditlake fills from the log's context (`errorMessage` from `exception.message` or
   * pino's `err`, `userAgent`, `errorCode`, `eventName`, `principalId`, `eventSource` from the
   * resource) are truncated in either mode: the application did not put them in the event.
   * Object fields over their byte cap (`requestParameters`, `responseElements` 100 kB,
   * `additionalEventData` as given 28 kB) are dead-lettered with `FieldTooLong` in either mode:
   * a JSON object cut in parts no longer says what the request was (redact or summarize it).
   * @default 'truncate'
   */
  overLongFields?: 'truncate' | 'deadLetter';
  /** Most events per request: 1–100 for CloudTrail Lake, 1–10,000 for CloudWatch Logs. @default 100; 10000 for CloudWatch Logs */
  maxBatchEvents?: number;
  /**
   * Most bytes per request, measured exactly in UTF-8. CloudTrail Lake: of the serialized request
   * body, 1,024–1,000,000. CloudWatch Logs: in the service's own arithmetic (each message's bytes
   * plus 26; the JSON around them does not count), 1,024–1,048,576.
   * @default 1000000; 1048576 for CloudWatch Logs
   */
  maxBatchBytes?: number;
  /** Longest time an event waits for its batch to fill before it is sent anyway; 0 sends on the next turn of the event loop. @default 1000 */
  flushIntervalMs?: number;
  /**
   * Most events held in memory at once: queued, in flight, or waiting for a retry. An event
   * that does not fit is dead-lettered with `QueueFull`. With a spool, this bounds the events
   * kept in memory beside their frames on disk (a burst within it is sent from memory, and
   * `waitForCapacity()` holds a producer at it, as without a spool; beyond it events are read
   * back from disk) and those that could not be written to it. @default 50000
   */
  maxQueueEvents?: number;
  /** Most bytes (serialized entries) held in memory at once; at least `maxBatchBytes`. With a spool, as `maxQueueEvents`. @default 33554432 (32 MiB) */
  maxQueueBytes?: number;
  /** Most requests at once; a request keeps its slot through its retries. 1–100. @default 4 */
  maxConcurrentRequests?: number;
  /**
   * Learn the request rate the service allows from its throttling, so that a fleet of processes
   * shares one account's quota (PutAuditEvents: 100 requests/s per account) instead of each
   * retrying on its own. Nothing changes until the service first throttles. Then requests are
   * paced: the rate drops at each throttle (by half, or by 30 % while full batches wait) and
   * climbs back with the successful requests that follow; a partial batch waits up to one
   * interval of that rate to fill (at most a quarter of `retryDeadlineMs`, and 60 s); fewer
   * requests run at once; a batch resent after throttling takes queued events along; and the
   * pace gives way near an event's `retryDeadlineMs`. `flush()` and `shutdown()` still send at
   * once. Turn it off when something else paces the requests. @default true
   */
  adaptiveRate?: boolean;
  /** Time limit of one request, from sending to the last byte of the response; it also bounds a credentials fetch. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * How long after it was first accepted an event may still be retried; after that it is
   * dead-lettered with `RetryDeadline`. Every event is sent at least once.
   * @default 60000 (one minute); with a spool 86400000 (one day)
   */
  retryDeadlineMs?: number;
  /** Base of the full-jitter exponential backoff (four times this after throttling). @default 250 */
  retryBaseDelayMs?: number;
  /** Longest single backoff, unless the service's `Retry-After` asks for more. @default 20000 */
  retryMaxDelayMs?: number;
  /**
   * Longest `shutdown()` waits for delivery. Backoff waits are cut short at once for a last
   * attempt; what is still undelivered when the time is up stays in the spool (with one), or is
   * dead-lettered with `Shutdown` and the last failure. 30 s, as OpenTelemetry's SDKs wait at
   * shutdown: a burst of 20,000 events under 20 % throttling takes about 10 s. pino ends its
   * worker after 10 s, so `@auditlake/pino` defaults to 5000 and allows at most 9000.
   * @default 30000; 5000 in `@auditlake/pino`
   */
  shutdownTimeoutMs?: number;
  /**
   * Longest an adapter holds a log call back (winston's callback, pino's read loop) when the
   * queue (or the spool) is full, to let a burst drain instead of dead-lettering it. After that
   * the sink sheds: new events are dead-lettered with `QueueFull` until the queue is down to 3/4,
   * so that a long outage never moves the backlog into the logger's own unbounded buffers. While
   * the destination is down (its last two requests failed, other than with throttling, and none
   * succeeded since) it sheds at once. 0 never holds back. @default 1000
   */
  maxBlockMs?: number;
  /**
   * Where undeliverable events go: a JSON Lines file path (created 0600; a symlink there is not
   * followed), or a function. Environment: `AUDITLAKE_DEAD_LETTER` (a path). On AWS Lambda a
   * relative path is taken under `/tmp`, the only writable place there.
   * @default `./auditlake-dead-letter.jsonl` (created on the first letter, announced once on stderr)
   */
  deadLetter?: string | DeadLetterHandler;
  /**
   * A directory for the spool: accepted events are kept on disk until delivered or
   * dead-lettered, and a later sink on the same directory sends what an earlier process left
   * (at least once, with the original ids). Several sinks, in one process or several, may share
   * it. Environment: `AUDITLAKE_SPOOL_DIR`. On AWS Lambda a relative path is taken under `/tmp`.
   * @default none: events are held in memory only
   */
  spoolDir?: string;
  /** Most bytes the spool may hold on disk (its own segments and those it took over); an event that does not fit is dead-lettered with `QueueFull`. @default 1073741824 (1 GiB) */
  maxSpoolBytes?: number;
  /**
   * Size at which the spool starts a new segment file. Space on disk comes back a whole segment
   * at a time, once every event in it is settled. 65,536–134,217,728. @default 8388608 (8 MiB)
   */
  spoolSegmentBytes?: number;
  /**
   * The spool's sync window: an accepted event is written to the operating system by the end of
   * the turn of the event loop that accepted it (it then survives the process being killed), and
   * forced to the disk (it then survives a power cut) within this many milliseconds, and at once
   * by `flush()`. 0 forces every write to disk before the turn ends. @default 500
   */
  spoolSyncIntervalMs?: number;
  /**
   * When the process exits without `shutdown()` (the end of `main`, `process.exit()`), a
   * synchronous `exit` listener keeps what is not yet delivered: in the spool when there is one
   * (the next process sends it), else in the dead-letter file with reason `Exit`; and says on
   * stderr how many events and where. No network and no async work at exit.
   * @default true
   */
  persistOnExit?: boolean;
  /** Send `eventDataChecksum` = base64(SHA-256(eventData)) with each event (CloudTrail Lake only). @default true */
  checksum?: boolean;
  /**
   * The service call, replaced by any function of its shape, e.g. the official AWS SDK client.
   * When given, `endpoint`, `region` and `credentials` are not used.
   * - CloudTrail Lake: a PutAuditEvents call,
   *   `(input, { abortSignal }) => client.send(new PutAuditEventsCommand(input), { abortSignal })`
   *   with `@aws-sdk/client-cloudtrail-data`.
   * - CloudWatch Logs: a PutLogEvents call,
   *   `(input, { abortSignal }) => client.send(new PutLogEventsCommand(input), { abortSignal })`
   *   with `@aws-sdk/client-cloudwatch-logs`. auditlake then makes no other call: it cannot
   *   create a missing log group or stream, so name an existing `logStreamName`.
   * Create the SDK client with `maxAttempts: 1`: auditlake retries, and the SDK's own retries
   * would stack on its.
   * @default the built-in client
   */
  send?: ServiceSend;
  /**
   * Decorates whatever `send` is in use (built-in or given), once, at construction: the
   * PutAuditEvents or the PutLogEvents call (with the built-in CloudWatch Logs client, the
   * creation of a missing stream runs inside that call). A decorator passes the input and
   * options through, whatever the call; the OTel adapter uses it to run requests with tracing
   * suppressed. @default none
   */
  wrapSend?: (send: ServiceCall) => ServiceCall;
  /**
   * Called with the ids of the events the destination accepted, after each response (replay
   * records its progress with it). Synchronous; a throw is caught and reported. @default none
   */
  onDelivered?: (ids: readonly string[]) => void;
  /**
   * The proxy for the built-in client's requests: an `http://` or `https://` URL (credentials
   * in it as `http://user:password@host:port`, sent as `Proxy-Authorization: Basic`), used for
   * every endpoint, loopback included; or `false` for none, whatever the environment says. HTTPS
   * endpoints are reached through a `CONNECT` tunnel (TLS end to end); HTTP endpoints through
   * the proxy with the absolute URL. A proxy that wants credentials (407) or refuses the endpoint
   * (4xx to `CONNECT`) is a configuration fault, reported at once.
   * @default from the environment (`env`): `https_proxy`/`HTTPS_PROXY` for https endpoints,
   * `http_proxy`/`HTTP_PROXY` for http ones (lower case first), except hosts that
   * `no_proxy`/`NO_PROXY` names (`*`, `example.com` and its subdomains, `.example.com`, IPs,
   * CIDR blocks, each optionally with `:port`) and loopback endpoints such as the local lake
   */
  proxy?: string | false;
  /**
   * An `http.Agent` (http endpoints) or `https.Agent` (https endpoints) of your own for the
   * built-in client: a proxy agent of another package, a custom TLS setup. When given, `proxy`,
   * the proxy variables and `maxConcurrentRequests`' socket pool are not used.
   * @default a keep-alive agent of `maxConcurrentRequests` sockets (a tunnelling one behind a proxy)
   */
  agent?: HttpAgent;
  /**
   * Where the sink reports its self-metrics, through the OpenTelemetry metrics API: the
   * conventions' `otel.sdk.processor.log.processed` (with `error.type` for records refused at
   * once: `queue_full`, `already_shutdown`, or the schema violation), `…queue.size`,
   * `…queue.capacity` (without a spool), `otel.sdk.exporter.log.exported` (with `error.type` =
   * the dead-letter reason) and `…inflight`, and `auditlake.sink.skipped`, `.retried`,
   * `.requests`, `.queue.bytes` and `.truncated_fields`; all with `otel.component.type`
   * `auditlake_sink` and `otel.component.name` `auditlake_sink/<n>` (exporter metrics also with
   * `server.address`/`server.port`). They are observable instruments read from `stats()` at each
   * collection: nothing is added to `add()`. `false` reports none. The same for every front end:
   * `@auditlake/otel` and `@auditlake/winston` run the sink in the application's thread;
   * `@auditlake/pino` runs it in pino's worker, which sends its stats to the main thread, where
   * `reportPinoMetrics(transport)` reports them through the application's provider.
   * @default the MeterProvider registered globally with `@opentelemetry/api` when the sink is
   * created (an optional peer dependency; without it, or without a registered provider, nothing
   * is reported). Start the OpenTelemetry SDK before creating the sink, or give the provider
   * here (also in a bundle, where the API may not resolve from auditlake's own location).
   */
  meterProvider?: MeterProviderLike | false;
  /** Where the sink reports about itself; never the logger being transported. @default debug through `util.debuglog('auditlake')`, warnings and errors as one line on stderr */
  diagnostics?: Diagnostics;
  /** The environment to read `AUDITLAKE_*`, `AWS_*` and the proxy variables (`HTTPS_PROXY`, `NO_PROXY`, …) from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock and random source (tests and simulations run the engine on virtual time). @default the system clock */
  clock?: Clock;
}

/**
 * The destination's call: a `PutAuditEventsSend` for CloudTrail Lake (`channelArn`), a
 * `PutLogEventsSend` for CloudWatch Logs (`logGroupName`). Either fits. An inline function sees
 * the members of both inputs, so that `(input, { abortSignal }) => client.send(new
 * PutLogEventsCommand(input), { abortSignal })` and code reading `input.auditEvents` compile as
 * written; at run time the input is the one of the destination in use. (A union of the two
 * function types would leave an inline function's parameters untyped: an error under `strict`.)
 */
export type ServiceSend = (
  input: PutAuditEventsInput & PutLogEventsInput,
  options?: { abortSignal?: AbortSignal; body?: Uint8Array },
) => Promise<PutAuditEventsOutput | PutLogEventsOutput>;

/**
 * Any call as `wrapSend` sees it: a decorator passes input, options and output through whatever
 * they are, and `any` lets one typed for a single destination (`PutAuditEventsSend`) be given as
 * it is.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type ServiceCall = (input: any, options?: { abortSignal?: AbortSignal; body?: Uint8Array }) => Promise<any>;

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

