/**
 * What to do about a failed PutAuditEvents call, and how long to wait before the next try.
 * Works on errors from the built-in client and from any `send` (AWS SDK errors carry the
 * error name as `name` and the status in `$metadata`).
 */

export interface RequestFailure {
  /** The service's error name, a Node network code, or `Http<status>`. */
  code: string;
  message: string;
  /** Worth another try: throttling, 5xx, timeouts, connection errors. */
  retryable: boolean;
  /** The service asked us to slow down: back off from a larger base. */
  throttled: boolean;
  /** A configuration fault (channel, permission, authentication): report it loudly. */
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
  // Credentials could not be loaded (IMDS or SSO hiccup): retried, and reported.
  'CredentialsProviderError', 'CredentialsError',
  // Node network errors.
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** Request-level faults of configuration: the channel, the account, the credentials. */
const CONFIGURATION = new Set([
  'ChannelNotFound', 'ChannelInsufficientPermission', 'InvalidChannelARN', 'ChannelUnsupportedSchema',
  'UnsupportedOperationException', 'AccessDenied', 'AccessDeniedException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidClientTokenId',
  'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'NotAuthorized', 'CredentialsProviderError', 'CredentialsError',
]);

export function classifyRequestFailure(error: unknown): RequestFailure {
  const e = (error ?? {}) as {
    name?: unknown; message?: unknown; code?: unknown; errorCode?: unknown; statusCode?: unknown; retryAfterMs?: unknown;
    $metadata?: { httpStatusCode?: unknown }; $retryable?: { throttling?: boolean }; $response?: { headers?: Record<string, unknown> };
  };
  const code = firstString(e.errorCode, e.$metadata ? e.name : undefined, e.code, e.name) ?? 'UnknownError';
  const statusCode = firstNumber(e.statusCode, e.$metadata?.httpStatusCode);
  const throttled = statusCode === 429 || THROTTLING.has(code) || e.$retryable?.throttling === true;
  const transient = TRANSIENT.has(code) || (statusCode !== undefined && (statusCode >= 500 || statusCode === 408)) || e.$retryable !== undefined;
  const message = firstString(e.message) ?? String(error);
  return {
    code,
    message,
    retryable: throttled || transient,
    throttled,
    configuration: CONFIGURATION.has(code) || statusCode === 401 || statusCode === 403,
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
  random: () => number = Math.random,
): number {
  const base = failure.throttled ? baseMs * 4 : baseMs;
  const ceiling = Math.min(maxMs, base * 2 ** Math.min(attempt - 1, 30));
  return Math.max(Math.floor(random() * ceiling), failure.retryAfterMs ?? 0);
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
