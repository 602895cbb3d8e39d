/** The CloudWatch Logs client: awsJson1_1 over the signed HTTP client (`logs`), for the three calls the sink makes. */
import { createAwsHttpClient, type AwsHttpClientOptions, type SignedRequest } from '../../aws/http-client.js';
import { readJsonResponse } from '../../aws/json-response.js';
import type { InputLogEvent } from './entry.js';
import { LOGS_TARGET_PREFIX } from './limits.js';

export interface PutLogEventsInput {
  logGroupName: string;
  logStreamName: string;
  /** 1–10,000 events, in chronological order. */
  logEvents: InputLogEvent[];
}

/** The indices refer to `logEvents` of the request, as sent (sorted by timestamp). */
export interface RejectedLogEventsInfo {
  /** Events from this index on were more than 2 hours in the future. */
  tooNewLogEventStartIndex?: number;
  /** Events before this index were older than 14 days (the model: "exclusive"). */
  tooOldLogEventEndIndex?: number;
  /** Events before this index were older than the log group's retention period. */
  expiredLogEventEndIndex?: number;
}

export interface PutLogEventsOutput {
  /** Events the service rejected while it took the others; absent when it took all. */
  rejectedLogEventsInfo?: RejectedLogEventsInfo;
  /** Deprecated by the service and ignored here. */
  nextSequenceToken?: string;
}

export interface PutLogEventsSendOptions {
  /** Aborts the call (timeouts, shutdown). */
  abortSignal?: AbortSignal;
  /**
   * The request body already serialized from `input`: the UTF-8 bytes of
   * `JSON.stringify({ logGroupName, logStreamName, logEvents })`. The sink offers it (built
   * lazily, on first read) so that the built-in client need not serialize again; any other
   * `send` may ignore it at no cost.
   */
  body?: Uint8Array;
}

/**
 * The shape of a PutLogEvents call. The official client plugs in as
 * `(input, { abortSignal }) => client.send(new PutLogEventsCommand(input), { abortSignal })`.
 */
export type PutLogEventsSend = (input: PutLogEventsInput, options?: PutLogEventsSendOptions) => Promise<PutLogEventsOutput>;

export interface LogStreamInput {
  logGroupName: string;
  logStreamName: string;
}

export type CloudWatchLogsClientOptions = Omit<AwsHttpClientOptions, 'service' | 'requestTimeoutMs' | 'maxSockets'> & {
  /** Per-request time limit, from the first byte sent to the last byte received. @default 10000 */
  requestTimeoutMs?: number;
  /** Keep-alive sockets per host. @default 50 */
  maxSockets?: number;
};

export interface CloudWatchLogsClient {
  putLogEvents: PutLogEventsSend;
  /** `ResourceAlreadyExistsException` is an error here; the sink takes it as success. */
  createLogStream(input: LogStreamInput, options?: { abortSignal?: AbortSignal }): Promise<void>;
  createLogGroup(input: { logGroupName: string }, options?: { abortSignal?: AbortSignal }): Promise<void>;
  /** Builds and signs a call without sending it (for inspection, and for benchmarks). */
  prepare(operation: string, body: Uint8Array): Promise<SignedRequest>;
  /** Closes idle keep-alive sockets. Requests still in flight finish. */
  destroy(): void;
}

export function createCloudWatchLogsClient(options: CloudWatchLogsClientOptions): CloudWatchLogsClient {
  const http = createAwsHttpClient({ requestTimeoutMs: 10_000, maxSockets: 50, ...options, service: 'logs' });
  const prepare = (operation: string, bytes: Uint8Array): Promise<SignedRequest> => {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return http.prepare('/', {}, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${LOGS_TARGET_PREFIX}.${operation}` }, body);
  };
  const call = async (operation: string, body: Uint8Array, abortSignal: AbortSignal | undefined): Promise<object> => {
    abortSignal?.throwIfAborted();
    return readJsonResponse(await http.exchange(await prepare(operation, body), abortSignal));
  };
  const jsonBody = (input: object) => Buffer.from(JSON.stringify(input), 'utf8');
  return {
    putLogEvents(input, { abortSignal, body } = {}) {
      return call('PutLogEvents', body ?? jsonBody({ logGroupName: input.logGroupName, logStreamName: input.logStreamName, logEvents: input.logEvents }), abortSignal);
    },
    async createLogStream({ logGroupName, logStreamName }, { abortSignal } = {}) {
      await call('CreateLogStream', jsonBody({ logGroupName, logStreamName }), abortSignal);
    },
    async createLogGroup({ logGroupName }, { abortSignal } = {}) {
      await call('CreateLogGroup', jsonBody({ logGroupName }), abortSignal);
    },
    prepare,
    destroy: () => http.destroy(),
  };
}
