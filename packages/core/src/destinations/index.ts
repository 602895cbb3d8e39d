/** The destinations the sink can send to, chosen by the resolved options (`channelArn` or `logGroupName`). */
import type { Destination } from '../destination.js';
import type { ResolvedAuditSinkOptions } from '../resolve-options.js';
import { createCloudTrailLakeDestination, decodeLakeEntry, LAKE_ENTRY_FORMAT } from './cloudtrail-lake/destination.js';
import { createCloudWatchLogsDestination, decodeLogsEntry, LOGS_ENTRY_FORMAT } from './cloudwatch-logs/destination.js';

export function createDestination(o: ResolvedAuditSinkOptions): Destination {
  const d = o.destination;
  // Region and endpoint are missing only with a custom send, which leaves the client unused.
  const client = { region: d.region as string, endpoint: d.endpoint as string, credentials: d.credentials, requestTimeoutMs: d.requestTimeoutMs, maxSockets: d.maxSockets, ...o.transport };
  if (d.kind === 'cloudwatch-logs') {
    return createCloudWatchLogsDestination({
      logGroupName: d.logGroupName,
      logStreamName: d.logStreamName,
      createLogGroup: d.createLogGroup,
      createLogStream: d.createLogStream,
      createFirst: d.generatedStreamName && d.createLogStream,
      maxBatchEvents: d.maxBatchEvents,
      maxBatchBytes: d.maxBatchBytes,
      send: d.send,
      wrapSend: d.wrapSend,
      client,
      maxConcurrentRequests: o.maxConcurrentRequests,
      now: o.clock.now,
    });
  }
  return createCloudTrailLakeDestination({
    channel: d.channel,
    externalId: d.externalId,
    checksum: d.checksum,
    maxBatchEvents: d.maxBatchEvents,
    maxBatchBytes: d.maxBatchBytes,
    send: d.send,
    wrapSend: d.wrapSend,
    client,
    maxConcurrentRequests: o.maxConcurrentRequests,
  });
}

/** `eventData` of an entry, by the format tag of the destination that encoded it (a spool may hold either). */
export const ENTRY_DECODERS: Readonly<Record<number, (entry: string) => string>> = {
  [LAKE_ENTRY_FORMAT]: decodeLakeEntry,
  [LOGS_ENTRY_FORMAT]: decodeLogsEntry,
};
