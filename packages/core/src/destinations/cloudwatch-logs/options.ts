import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isCredentials, type AwsCredentials, type AwsCredentialsProvider } from '../../aws/credentials.js';
import { ConfigurationError } from '../../errors.js';
import { isHttpUrl, optionalBoolean, optionalFunction, sourced } from '../../option-checks.js';
import { DNS_SUFFIX } from '../cloudtrail-lake/channel-arn.js';
import type { PutLogEventsSend } from './cloudwatch-logs-client.js';
import { LOG_GROUP_NAME_PATTERN, LOG_STREAM_NAME_PATTERN } from './limits.js';

/** The CloudWatch Logs destination's resolved options. */
export interface LogsOptions {
  kind: 'cloudwatch-logs';
  logGroupName: string;
  logStreamName: string;
  /** The stream name is this process's own default, not one the user gave. */
  generatedStreamName: boolean;
  createLogGroup: boolean;
  createLogStream: boolean;
  /** `undefined` only with a custom `send`, which needs neither. */
  region: string | undefined;
  endpoint: string | undefined;
  credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  send: PutLogEventsSend | undefined;
  wrapSend: ((send: PutLogEventsSend) => PutLogEventsSend) | undefined;
  maxBatchEvents: number;
  maxBatchBytes: number;
  requestTimeoutMs: number;
  maxSockets: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveLogsOptions(
  o: Record<string, unknown>,
  env: Env,
  shared: { maxBatchEvents: number; maxBatchBytes: number; requestTimeoutMs: number; maxConcurrentRequests: number },
): LogsOptions {
  const group = sourced(o, 'logGroupName', env, 'AUDITLAKE_LOG_GROUP');
  if (typeof group.value !== 'string' || !LOG_GROUP_NAME_PATTERN.test(group.value) || group.value.startsWith('aws/')) {
    throw new ConfigurationError(group.name, 'a log group name: 1-512 characters of [A-Za-z0-9._/#-], not starting with aws/', group.value);
  }
  const stream = sourced(o, 'logStreamName', env, 'AUDITLAKE_LOG_STREAM');
  if (stream.value !== undefined && (typeof stream.value !== 'string' || !LOG_STREAM_NAME_PATTERN.test(stream.value))) {
    throw new ConfigurationError(stream.name, 'a log stream name: 1-512 characters without : or *', stream.value);
  }

  const send = optionalFunction<PutLogEventsSend>('send', o.send, 'a function (input, { abortSignal }) => Promise<output> of the PutLogEvents shape');
  const createLogStream = optionalBoolean('createLogStream', o.createLogStream);
  const createLogGroup = optionalBoolean('createLogGroup', o.createLogGroup);
  if (send !== undefined) {
    // A custom send is a PutLogEvents call and nothing else: there is no way to create through it.
    for (const [name, value] of [['createLogStream', createLogStream], ['createLogGroup', createLogGroup]] as const) {
      if (value === true) throw new ConfigurationError(name, 'not true with a custom send: auditlake creates log groups and streams only with its built-in client', value);
    }
  } else if (createLogGroup === true && createLogStream === false) {
    throw new ConfigurationError('createLogStream', 'true when createLogGroup is true (a new log group has no streams)', createLogStream);
  }
  // The default stream is new in each process: someone has to create it.
  if (stream.value === undefined && send !== undefined) {
    throw new ConfigurationError('logStreamName', 'the name of an existing log stream when send is given (auditlake cannot create the default per-process stream through it)', undefined);
  }
  if (stream.value === undefined && createLogStream === false) {
    throw new ConfigurationError('logStreamName', 'the name of an existing log stream when createLogStream is false (the default stream is new in each process)', undefined);
  }

  const region = logsRegion(o, env, send !== undefined);
  const endpoint = sourced(o, 'endpoint', env, 'AUDITLAKE_ENDPOINT', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', 'AWS_ENDPOINT_URL');
  if (endpoint.value !== undefined && !isHttpUrl(endpoint.value)) throw new ConfigurationError(endpoint.name, 'an http:// or https:// URL', endpoint.value);

  const credentials = o.credentials;
  if (credentials !== undefined && typeof credentials !== 'function' && !isCredentials(credentials)) {
    throw new ConfigurationError('credentials', '{ accessKeyId, secretAccessKey, sessionToken? } or a function returning a promise of it', '[object]');
  }
  return {
    kind: 'cloudwatch-logs',
    logGroupName: group.value,
    logStreamName: stream.value ?? defaultLogStreamName(),
    generatedStreamName: stream.value === undefined,
    createLogGroup: send === undefined && createLogGroup === true,
    createLogStream: send === undefined && createLogStream !== false,
    region,
    endpoint: endpoint.value ?? (region === undefined ? undefined : defaultLogsEndpoint(region)),
    credentials: credentials as AwsCredentials | AwsCredentialsProvider | undefined,
    send,
    wrapSend: optionalFunction('wrapSend', o.wrapSend, 'a function (send) => send'),
    maxBatchEvents: shared.maxBatchEvents,
    maxBatchBytes: shared.maxBatchBytes,
    requestTimeoutMs: shared.requestTimeoutMs,
    maxSockets: shared.maxConcurrentRequests,
  };
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** `region`, else the SDKs' variables; only a custom `send` may go without one. */
function logsRegion(o: Record<string, unknown>, env: Env, customSend: boolean): string | undefined {
  const region = sourced(o, 'region', env, 'AWS_REGION', 'AWS_DEFAULT_REGION');
  if (region.value === undefined) {
    if (customSend) return undefined;
    throw new ConfigurationError('region', 'an AWS region such as us-east-1 for CloudWatch Logs, given as the option, AWS_REGION or AWS_DEFAULT_REGION', undefined);
  }
  if (typeof region.value !== 'string' || !REGION.test(region.value)) throw new ConfigurationError(region.name, 'an AWS region such as us-east-1', region.value);
  return region.value;
}

/** `https://logs.<region>.<dnsSuffix>`, the default of the `logs` endpoint rule set; the partition is read from the region's prefix. */
export function defaultLogsEndpoint(region: string): string {
  return `https://logs.${region}.${DNS_SUFFIX[regionPartition(region)] ?? DNS_SUFFIX.aws}`;
}

/** The partition of a region, by botocore's partition regions (`cn-`, `us-gov-`, `us-iso-`, …). */
function regionPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

let processStreamName: string | undefined;

/**
 * This process's stream: `<hostname>-<pid>-<8 hex digits>`. Host and pid tell a person where the
 * events came from; the random part keeps processes apart where host and pid repeat (pid 1 in
 * every container, a restarted container that keeps its hostname). Every sink of the process
 * shares it: PutLogEvents takes concurrent calls on one stream.
 */
export function defaultLogStreamName(): string {
  processStreamName ??= `${(hostname() || 'host').replace(/[:*]/g, '-').slice(0, 400)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  return processStreamName;
}
