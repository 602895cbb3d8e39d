import { AwsRequestError } from '../../errors.js';
import { classifyRequestFailure } from '../../retry.js';
import type { CloudWatchLogsClient, PutLogEventsSend } from './cloudwatch-logs-client.js';

export interface LogStreamTarget {
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Create the group when it is missing (needs `logs:CreateLogGroup`). */
  readonly createLogGroup: boolean;
  /** Create the stream when it is missing (needs `logs:CreateLogStream`). */
  readonly createLogStream: boolean;
  /** The stream name is this process's own (generated), so it does not exist yet: create it before the first call. */
  readonly createFirst: boolean;
}

type Missing = 'group' | 'stream';

/**
 * PutLogEvents through the built-in client, which creates a missing stream (and group) when the
 * options allow it, then sends the same request once more. That one resend is the only retry
 * outside the engine's retry layer: a created stream is not a passing condition to wait out.
 * Concurrent requests that find the stream missing share one creation.
 */
export function putCreatingMissing(client: CloudWatchLogsClient, target: LogStreamTarget): PutLogEventsSend {
  let createFirst = target.createFirst;
  let creating: Promise<void> | undefined;
  const ensure = (missing: Missing, signal: AbortSignal | undefined) =>
    (creating ??= create(client, target, missing, signal).finally(() => {
      creating = undefined;
    }));

  return async (input, options = {}) => {
    if (createFirst) {
      await ensure('stream', options.abortSignal);
      createFirst = false;
    }
    try {
      return await client.putLogEvents(input, options);
    } catch (error) {
      const missing = missingResource(error);
      if (missing === undefined) throw error;
      if (!(missing === 'group' ? target.createLogGroup : target.createLogStream)) throw notAllowed(error, missing, target);
      await ensure(missing, options.abortSignal);
      return await client.putLogEvents(input, options);
    }
  };
}

async function create(client: CloudWatchLogsClient, target: LogStreamTarget, missing: Missing, abortSignal: AbortSignal | undefined): Promise<void> {
  const { logGroupName, logStreamName } = target;
  const createGroup = () => existing(client.createLogGroup({ logGroupName }, { abortSignal }), `CreateLogGroup of ${logGroupName}`);
  const createStream = () => existing(client.createLogStream({ logGroupName, logStreamName }, { abortSignal }), `CreateLogStream of ${logStreamName} in ${logGroupName}`);
  if (missing === 'group') await createGroup();
  try {
    await createStream();
  } catch (error) {
    if (missing === 'group' || missingResource(error) !== 'group') throw error;
    if (!target.createLogGroup) throw notAllowed(error, 'group', target);
    await createGroup();
    await createStream();
  }
}

/** A create call where "already exists" is success (another process, or another request, was first). */
async function existing(call: Promise<void>, what: string): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (classifyRequestFailure(error).code === 'ResourceAlreadyExistsException') return;
    throw withContext(error, `${what} failed: `, '');
  }
}

function missingResource(error: unknown): Missing | undefined {
  const failure = classifyRequestFailure(error);
  if (failure.code !== 'ResourceNotFoundException') return undefined;
  // "The specified log group does not exist." / "The specified log stream does not exist."
  return /log group/i.test(failure.message) ? 'group' : 'stream';
}

function notAllowed(error: unknown, missing: Missing, target: LogStreamTarget): unknown {
  const hint = missing === 'group'
    ? ` (auditlake creates the log group ${target.logGroupName} only with createLogGroup: true, which needs logs:CreateLogGroup; or create it yourself)`
    : ` (auditlake creates the log stream ${target.logStreamName} only with createLogStream: true, which needs logs:CreateLogStream; or create it yourself)`;
  return withContext(error, '', hint);
}

/** The same failure (code, status, request id, delay) with words around its message; anything else unchanged. */
function withContext(error: unknown, before: string, after: string): unknown {
  if (!(error instanceof AwsRequestError)) return error;
  const { errorCode, statusCode, requestId, retryAfterMs } = error;
  return new AwsRequestError(`${before}${error.message}${after}`, { errorCode, statusCode, requestId, retryAfterMs, cause: error });
}
