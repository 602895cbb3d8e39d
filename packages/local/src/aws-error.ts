import { MAX_JSON_DEPTH, measureJson } from './json-shape.js';

/**
 * An error as an AWS service returns it: the error name (its `name`, sent as `__type` and
 * `x-amzn-ErrorType`), an HTTP status and a message. Guards match by name, as AWS SDKs do.
 */
export class AwsServiceError extends Error {
  override readonly name: string;
  /** The error name on the wire, e.g. `ChannelNotFound`. */
  readonly code: string;
  readonly statusCode: number;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: string, message: string, statusCode = 400, headers: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

export function isAwsServiceError(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError;
}

/** `InvalidQueryStatementException`, the answer to anything that is not one SELECT. */
export function invalidQuery(message: string): AwsServiceError {
  return new AwsServiceError('InvalidQueryStatementException', message);
}

/**
 * The JSON of a request body (an empty body is `{}`), or the service's `SerializationException`;
 * also for nesting no AWS shape has, which would overflow the stack of every recursive reader.
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  return parseJsonText(text, measureJson(text).depth);
}

/** {@link parseJsonBody} of a body's text whose nesting `depth` is already measured. */
export function parseJsonText(text: string, depth: number): unknown {
  if (text.trim().length === 0) return {};
  if (depth > MAX_JSON_DEPTH) {
    throw new AwsServiceError('SerializationException', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AwsServiceError('SerializationException', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}
