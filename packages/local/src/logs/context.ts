/** What every CloudWatch Logs operation runs against, and how it finds its log group and stream. */
import { AwsServiceError } from '../aws-error.js';
import type { JsonInput, JsonOperation } from '../aws-json-dispatch.js';
import type { FaultInjector } from '../faults.js';
import type { LakeStore } from '../lake-store.js';
import type { LogStore, OpenGroup, OpenStream } from './log-store.js';
import { invalidParameter, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, type Validation } from './validation.js';

export interface LogsContext {
  store: LakeStore;
  now: () => number;
  /** Injected faults that act inside an operation (`eventRejected`); none when absent. */
  faults?: FaultInjector;
  /** Told how many events a PutLogEvents call carried and how many it rejected (for the request log). */
  countEvents?: (events: number, rejected: number) => void;
}

export type LogsOperation = JsonOperation<LogsContext>;

export const DAY_MS = 86_400_000;

export function groupNotFound(): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
}

export function streamNotFound(): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
}

export function requireGroup(logs: LogStore, name: string): OpenGroup {
  const group = logs.group(name);
  if (group === undefined) throw groupNotFound();
  return group;
}

export function requireStream(group: OpenGroup, name: string): OpenStream {
  const stream = group.streams.get(name);
  if (stream === undefined) throw streamNotFound();
  return stream;
}

/**
 * The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN, with or
 * without the trailing `:*`): exactly one of the two, as the read operations take them.
 * Constraint failures are recorded in `v`; call this before `v.done()` and read the result after.
 */
export function groupNameOrIdentifier(v: Validation, input: JsonInput): () => string {
  const name = v.string(input, 'logGroupName', LOG_GROUP_NAME);
  const identifier = v.string(input, 'logGroupIdentifier', LOG_GROUP_IDENTIFIER);
  return () => {
    if (name !== undefined && identifier !== undefined) throw invalidParameter('LogGroupName and LogGroupIdentifier are mutually exclusive parameters.');
    if (name !== undefined) return name;
    if (identifier === undefined) throw invalidParameter('Either logGroupName or logGroupIdentifier must be specified.');
    return identifier;
  };
}

/** The group a name or ARN names; an ARN of another region or account names none here. */
export function resolveGroupIdentifier(logs: LogStore, identifier: string): OpenGroup {
  if (!identifier.startsWith('arn:')) return requireGroup(logs, identifier);
  const prefix = `${logs.catalog.groupArn('')}`;
  if (!identifier.startsWith(prefix)) throw groupNotFound();
  const name = identifier.slice(prefix.length).replace(/:\*$/, '');
  return requireGroup(logs, name);
}

/** Events older than this (by their timestamp) have expired under the group's retention. */
export function retentionCutoff(group: OpenGroup, now: number): number {
  return group.info.retentionInDays === undefined ? -Infinity : now - group.info.retentionInDays * DAY_MS;
}
