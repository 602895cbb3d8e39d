/** Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams. */
import { AwsServiceError } from '../aws-error.js';
import { groupNameOrIdentifier, requireGroup, requireStream, resolveGroupIdentifier, type LogsOperation } from './context.js';
import { refuseIfProtected } from './log-groups.js';
import type { OpenStream } from './log-store.js';
import { pageAfter } from './pagination.js';
import { invalidParameter, LOG_GROUP_NAME, LOG_STREAM_NAME, NEXT_TOKEN, Validation } from './validation.js';

const createLogStream: LogsOperation = ({ store, now }, input) => {
  const v = new Validation();
  const groupName = v.string(input, 'logGroupName', { ...LOG_GROUP_NAME, required: true });
  const streamName = v.string(input, 'logStreamName', { ...LOG_STREAM_NAME, required: true });
  v.done();
  const group = requireGroup(store.logs, groupName as string);
  if (group.streams.has(streamName as string)) throw new AwsServiceError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  store.logs.createStream(group, streamName as string, now());
  return {};
};

const deleteLogStream: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const groupName = v.string(input, 'logGroupName', { ...LOG_GROUP_NAME, required: true });
  const streamName = v.string(input, 'logStreamName', { ...LOG_STREAM_NAME, required: true });
  v.done();
  const group = requireGroup(store.logs, groupName as string);
  const stream = requireStream(group, streamName as string);
  refuseIfProtected(group);
  store.logs.deleteStream(group, stream);
  return {};
};

type StreamKey = [number, string];

const describeLogStreams: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const identifier = groupNameOrIdentifier(v, input);
  const prefix = v.string(input, 'logStreamNamePrefix', LOG_STREAM_NAME);
  const orderBy = v.oneOf(input, 'orderBy', ['LogStreamName', 'LastEventTime'] as const) ?? 'LogStreamName';
  const descending = v.boolean(input, 'descending') ?? false;
  const token = v.string(input, 'nextToken', NEXT_TOKEN);
  const limit = v.integer(input, 'limit', { min: 1, max: 50 }) ?? 50;
  v.done();
  if (prefix !== undefined && orderBy === 'LastEventTime') throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  const group = resolveGroupIdentifier(store.logs, identifier());
  let streams = [...group.streams.values()];
  if (prefix !== undefined) streams = streams.filter((s) => s.info.name.startsWith(prefix));
  const keyOf = (s: OpenStream): StreamKey => [orderBy === 'LastEventTime' ? (s.events.lastEventTimestamp ?? -1) : 0, s.info.name];
  const ascending = (a: StreamKey, b: StreamKey) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  const compare = descending ? (a: StreamKey, b: StreamKey) => ascending(b, a) : ascending;
  streams.sort((a, b) => compare(keyOf(a), keyOf(b)));
  const page = pageAfter(streams, keyOf, token, limit, `streams:${group.info.id}:${orderBy}:${descending}:${prefix ?? ''}`, compare);
  const arn = (s: OpenStream) => store.logs.catalog.streamArn(group.info.name, s.info.name);
  return {
    logStreams: page.items.map((s) => ({
      logStreamName: s.info.name,
      creationTime: s.info.creationTime,
      ...(s.events.firstEventTimestamp === undefined ? {} : { firstEventTimestamp: s.events.firstEventTimestamp }),
      ...(s.events.lastEventTimestamp === undefined ? {} : { lastEventTimestamp: s.events.lastEventTimestamp }),
      ...(s.events.lastIngestionTime === undefined ? {} : { lastIngestionTime: s.events.lastIngestionTime }),
      arn: arn(s),
      // "As of June 17, 2019, this parameter is no longer supported for log streams, and is always reported as zero."
      storedBytes: 0,
    })),
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
  };
};

export const logStreamOperations: Record<string, LogsOperation> = {
  CreateLogStream: createLogStream,
  DeleteLogStream: deleteLogStream,
  DescribeLogStreams: describeLogStreams,
};
