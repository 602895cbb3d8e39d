import type { Agent as HttpAgent } from 'node:http';
import type { AwsCredentials, AwsCredentialsProvider } from './aws/credentials.js';
import type { Clock } from './clock.js';
import type { DeadLetterHandler } from './dead-letter.js';
import type { PutAuditEventsInput, PutAuditEventsOutput } from './destinations/cloudtrail-lake/put-audit-events-client.js';
import type { PutLogEventsInput, PutLogEventsOutput } from './destinations/cloudwatch-logs/cloudwatch-logs-client.js';
import type { Diagnostics } from './diagnostics.js';
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
   * suppressed. With the built-in client, `options.body` is written into memory that a later
   * request reuses once the call has settled: a decorator that keeps it longer keeps a copy.
   * @default none
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
