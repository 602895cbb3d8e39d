/**
 * PutLogEvents as the service takes it (reference/cloudwatch-logs-facts.md §2): the model's
 * constraints (1–10,000 events, messages of at least one character, timestamps ≥ 0), the batch
 * arithmetic (UTF-8 bytes of each message + 26, at most 1,048,576 in all and per event), the
 * chronological order, the group and the stream; then events too new (> 2 h ahead), too old
 * (> 14 days) or expired (older than the group's retention) are rejected by index while the
 * rest are stored, unless those span more than 24 hours, which fails the whole call. The
 * sequence token is ignored: the service no longer checks it.
 */
import { LOG_EVENT_OVERHEAD_BYTES, MAX_LOG_BATCH_BYTES, MAX_LOG_BATCH_SPAN_MS, MAX_LOG_EVENT_AGE_MS, MAX_LOG_EVENT_AHEAD_MS, MAX_LOG_EVENT_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from '@auditlake/core/internal';
import { requireGroup, requireStream, retentionCutoff, type LogsOperation } from './context.js';
import { invalidParameter, LOG_GROUP_NAME, LOG_STREAM_NAME, Validation } from './validation.js';

interface InputEvent {
  timestamp: number;
  message: string;
  bytes: number;
}

export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

const putLogEvents: LogsOperation = async ({ store, now, faults, countEvents }, input) => {
  const v = new Validation();
  const groupName = v.string(input, 'logGroupName', { ...LOG_GROUP_NAME, required: true });
  const streamName = v.string(input, 'logStreamName', { ...LOG_STREAM_NAME, required: true });
  const items = v.list(input, 'logEvents', { min: 1, max: MAX_LOG_EVENTS_PER_REQUEST, required: true });
  v.string(input, 'sequenceToken', { min: 1 });
  v.structure(input.entity, 'entity');
  const events: InputEvent[] = [];
  for (const [i, item] of (items ?? []).entries()) {
    const path = `logEvents.${i + 1}.member`;
    const event = v.structure(item, path);
    if (event === undefined) {
      v.fail(null, path, 'Member must not be null');
      continue;
    }
    const timestamp = v.integer(event, 'timestamp', { min: 0, required: true }, `${path}.timestamp`);
    const message = v.string(event, 'message', { min: 1, required: true }, `${path}.message`);
    if (timestamp !== undefined && message !== undefined) events.push({ timestamp, message, bytes: Buffer.byteLength(message) });
  }
  v.done();

  let total = 0;
  for (const [i, event] of events.entries()) {
    const size = event.bytes + LOG_EVENT_OVERHEAD_BYTES;
    if (size > MAX_LOG_EVENT_BYTES) throw invalidParameter(`Log event too large: ${size} bytes exceeds limit of ${MAX_LOG_EVENT_BYTES}`);
    total += size;
    if (i > 0 && event.timestamp < (events[i - 1] as InputEvent).timestamp) throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
  }
  if (total > MAX_LOG_BATCH_BYTES) throw invalidParameter(`Upload too large: ${total} bytes exceeds limit of ${MAX_LOG_BATCH_BYTES}`);

  const group = requireGroup(store.logs, groupName as string);
  const stream = requireStream(group, streamName as string);
  const at = now();
  // The events are in order, so each kind of rejection is a run at one end.
  const tooOld = countWhile(events, (e) => e.timestamp < at - MAX_LOG_EVENT_AGE_MS);
  const cutoff = retentionCutoff(group, at);
  const expired = countWhile(events, (e) => e.timestamp < cutoff);
  let tooNewFrom = events.findIndex((e) => e.timestamp > at + MAX_LOG_EVENT_AHEAD_MS);
  if (tooNewFrom === -1) tooNewFrom = events.length;
  const old = Math.max(tooOld, expired);
  const injected = countWhile(events.slice(old, tooNewFrom), () => faults?.draw('eventRejected') !== undefined);
  const expiredEnd = old + injected;
  const valid = events.slice(expiredEnd, tooNewFrom);
  const first = valid[0];
  const last = valid.at(-1);
  if (first !== undefined && last !== undefined && last.timestamp - first.timestamp > MAX_LOG_BATCH_SPAN_MS) {
    throw invalidParameter('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
  await store.logs.append(group, stream, valid, at);
  countEvents?.(events.length, events.length - valid.length);

  const rejected: RejectedLogEventsInfo = {};
  if (tooNewFrom < events.length) rejected.tooNewLogEventStartIndex = tooNewFrom;
  // The model calls the too-old end index "exclusive": events [0, end) are rejected. The expired one is read alike.
  if (tooOld > 0) rejected.tooOldLogEventEndIndex = tooOld;
  if (expired > 0 || injected > 0) rejected.expiredLogEventEndIndex = expiredEnd;
  return {
    // Deprecated and ignored by the service, which still shows one in its samples.
    nextSequenceToken: sequenceToken(group.log.seq),
    ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
  };
};

function countWhile<T>(items: readonly T[], test: (item: T) => boolean): number {
  let n = 0;
  while (n < items.length && test(items[n] as T)) n++;
  return n;
}

/** A 56-digit number, the shape of the service's sample token. */
function sequenceToken(seq: number): string {
  return `4${String(seq).padStart(55, '0')}`;
}

export const putLogEventsOperations: Record<string, LogsOperation> = { PutLogEvents: putLogEvents };
