/**
 * auditlake's errors. Guards match by `name`, so they work across realms and across copies of
 * the package (pino's worker may load its own).
 */

export class AuditLakeError extends Error {
  override readonly name: string = 'AuditLakeError';
}

/** A bad option, thrown at construction: `Configuration: <option> is invalid, expected <rule> (actual: <value>)`. */
export class ConfigurationError extends AuditLakeError {
  override readonly name = 'ConfigurationError' as const;
  constructor(
    /** The option (or environment variable) at fault. */
    readonly option: string,
    /** What a valid value looks like. */
    readonly rule: string,
    /** The value given. */
    readonly actual: unknown,
  ) {
    super(`Configuration: ${option} is invalid, expected ${rule} (actual: ${describeValue(actual)})`);
  }
}

/** Whether the failure was the caller's (4xx) or the service's (5xx, network), as AWS SDKs say. */
export type Fault = 'client' | 'server';

/** A call to an AWS service (PutAuditEvents, PutLogEvents, …) that did not return a 2xx response, or did not return at all. */
export class AwsRequestError extends AuditLakeError {
  override readonly name = 'AwsRequestError' as const;
  /** The service's error name (`x-amzn-ErrorType`), a Node network code such as `ECONNRESET`, `TimeoutError`, or `CredentialsProviderError`/`CredentialsTimeout`. */
  readonly errorCode: string;
  /** HTTP status, when a response arrived. */
  readonly statusCode: number | undefined;
  /** `x-amzn-RequestId` of the response. */
  readonly requestId: string | undefined;
  /** The delay the service asked for (`Retry-After` / `x-amz-retry-after`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  readonly fault: Fault;

  constructor(
    message: string,
    details: { errorCode: string; statusCode?: number; requestId?: string; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.errorCode = details.errorCode;
    this.statusCode = details.statusCode;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.fault = details.statusCode !== undefined && details.statusCode < 500 ? 'client' : 'server';
  }
}

export function isAuditLakeError(error: unknown): error is AuditLakeError {
  return error instanceof Error && ['AuditLakeError', 'ConfigurationError', 'AwsRequestError'].includes(error.name);
}

export function isConfigurationError(error: unknown): error is ConfigurationError {
  return error instanceof Error && error.name === 'ConfigurationError';
}

export function isAwsRequestError(error: unknown): error is AwsRequestError {
  return error instanceof Error && error.name === 'AwsRequestError';
}

/** A short, single-line rendering of any value for messages. Never throws. */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
    if (typeof value === 'symbol') return value.toString();
    if (value === undefined) return 'undefined';
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
