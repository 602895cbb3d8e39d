/**
 * What to do about a failed request, and how long to wait before the next try. Works on errors
 * from the built-in clients and from any `send` (AWS SDK errors carry the error name as `name`
 * and the status in `$metadata`). Each destination adds the names of its configuration faults.
 */

export interface RequestFailure {
  /** The service's error name, a Node network code, or `Http<status>`. */
  code: string;
  message: string;
  /** Worth another try: throttling, 5xx, timeouts, connection errors. */
  retryable: boolean;
  /** The service asked us to slow down: back off from a larger base. */
  throttled: boolean;
  /** A configuration fault (destination, permission, credentials): reported loudly, never retried. */
  configuration: boolean;
  statusCode: number | undefined;
  retryAfterMs: number | undefined;
}

const THROTTLING = new Set([
  'BandwidthLimitExceeded', 'EC2ThrottledException', 'LimitExceededException', 'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException',
  'SlowDown', 'ThrottledException', 'Throttling', 'ThrottlingException', 'TooManyRequestsException',
  'TransactionInProgressException',
]);

const TRANSIENT = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalFailure', 'InternalServerError',
  'InternalServerException', 'ServiceUnavailable', 'ServiceUnavailableException', 'InvalidResponse',
  // Signed too late or with credentials that just expired: the next attempt signs afresh.
  'RequestExpired', 'ExpiredToken', 'ExpiredTokenException',
  // A credentials provider that did not answer in time: asked again on the next attempt.
  'CredentialsTimeout',
  // Node network errors.
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** Faults of the account or the credentials, whatever the service. */
const CONFIGURATION = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException',
  'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidClientTokenId', 'MissingAuthenticationToken',
  'MissingAuthenticationTokenException', 'NotAuthorized', 'CredentialsProviderError', 'CredentialsError',
  // A proxy that wants credentials, or whose policy refuses the endpoint.
  'ProxyAuthenticationRequired', 'ProxyConnectRefused',
]);

/**
 * Reads any error. A configuration fault is never retryable, whatever its status: retrying a
 * missing channel or missing credentials only delays the report (they are reported at once and
 * the events dead-lettered, to be replayed once the configuration is fixed).
 */
export function classifyRequestFailure(error: unknown, configurationCodes: ReadonlySet<string> = CONFIGURATION): RequestFailure {
  const e = (error ?? {}) as {
    name?: unknown; message?: unknown; code?: unknown; errorCode?: unknown; statusCode?: unknown; retryAfterMs?: unknown;
    $metadata?: { httpStatusCode?: unknown }; $retryable?: { throttling?: boolean }; $response?: { headers?: Record<string, unknown> };
  };
  const code = firstString(e.errorCode, e.$metadata ? e.name : undefined, e.code, e.name) ?? 'UnknownError';
  const statusCode = firstNumber(e.statusCode, e.$metadata?.httpStatusCode);
  const configuration = CONFIGURATION.has(code) || configurationCodes.has(code) || statusCode === 401 || statusCode === 403;
  const throttled = !configuration && (statusCode === 429 || THROTTLING.has(code) || e.$retryable?.throttling === true);
  const transient = !configuration && (TRANSIENT.has(code) || (statusCode !== undefined && (statusCode >= 500 || statusCode === 408)) || e.$retryable !== undefined);
  return {
    code,
    message: firstString(e.message) ?? String(error),
    retryable: throttled || transient,
    throttled,
    configuration,
    statusCode,
    retryAfterMs: firstNumber(e.retryAfterMs) ?? sdkRetryAfter(e.$response?.headers),
  };
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(maxMs, base · 2^(attempt-1))], with a
 * base four times larger after throttling, and never less than the `Retry-After` the service gave.
 */
export function backoffDelayMs(
  attempt: number,
  failure: Pick<RequestFailure, 'throttled' | 'retryAfterMs'>,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = failure.throttled ? baseMs * 4 : baseMs;
  const ceiling = Math.min(maxMs, base * 2 ** Math.min(attempt - 1, 30));
  return Math.max(Math.floor(random() * ceiling), failure.retryAfterMs ?? 0);
}

/** One line for messages: `ECONNREFUSED 127.0.0.1:1`, `ChannelNotFound (HTTP 400): Channel not found`. */
export function describeFailure(failure: Pick<RequestFailure, 'code' | 'message' | 'statusCode'>): string {
  const status = failure.statusCode ? ` (HTTP ${failure.statusCode})` : '';
  return failure.message.includes(failure.code) ? `${failure.message}${status}` : `${failure.code}${status}: ${failure.message}`;
}

function sdkRetryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  const value = headers?.['retry-after'];
  const seconds = typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}
