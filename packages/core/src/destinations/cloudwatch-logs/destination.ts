import type { BatchRule, Destination, QueuedEvent, SendOutcome } from '../../destination.js';
import { classifyRequestFailure } from '../../retry.js';
import { flattened, utf8Bytes } from '../../serialize.js';
import { createCloudWatchLogsClient, type CloudWatchLogsClient, type CloudWatchLogsClientOptions, type PutLogEventsInput, type PutLogEventsOutput, type PutLogEventsSend } from './cloudwatch-logs-client.js';
import { BodyPool, sendWithBody } from '../body-pool.js';
import { withLazyMember } from '../lazy-member.js';
import { putCreatingMissing, type LogStreamTarget } from './create-on-missing.js';
import { logEventAuditEventJson, logEventBytes, logEventEntry, logEventMessage, logsBatchLimits, putLogEventsBody, putLogEventsBodyHead, type InputLogEvent } from './entry.js';
import { MAX_LOG_BATCH_SPAN_MS, MAX_LOG_EVENT_AGE_MS, MAX_LOG_EVENT_AHEAD_MS, MAX_LOG_EVENT_BYTES, type LogEventRejectionCode } from './limits.js';

/** Tag of this destination's entries in a spool. */
export const LOGS_ENTRY_FORMAT = 2;

/**
 * Request-level errors of CloudWatch Logs that mean the target or the account is wrong, beyond
 * the generic ones (access denied, bad credentials). `LimitExceededException` is a resource-count
 * quota in CloudWatch Logs (log groups per account), which waiting does not lift.
 */
export const LOGS_CONFIGURATION_ERRORS: ReadonlySet<string> = new Set(['ResourceNotFoundException', 'LimitExceededException']);

export interface CloudWatchLogsDestinationOptions extends LogStreamTarget {
  maxBatchEvents: number;
  maxBatchBytes: number;
  /** A PutLogEvents call of the user's (the AWS SDK's, say); else the built-in client from `client`. */
  send: PutLogEventsSend | undefined;
  /** Decorates whichever call is used (the OTel adapter suppresses tracing with it). */
  wrapSend: ((send: PutLogEventsSend) => PutLogEventsSend) | undefined;
  client: CloudWatchLogsClientOptions;
  /** Requests at once: how many request bodies the built-in client keeps for reuse. */
  maxConcurrentRequests: number;
  /** The clock, to refuse events the service would reject for their age. */
  now: () => number;
}

/** CloudWatch Logs, through PutLogEvents into one log stream. */
export function createCloudWatchLogsDestination(options: CloudWatchLogsDestinationOptions): Destination {
  let client: CloudWatchLogsClient | undefined;
  const raw = options.send ?? putCreatingMissing((client = createCloudWatchLogsClient(options.client)), options);
  const send = options.wrapSend ? options.wrapSend(raw) : raw;
  const limits = logsBatchLimits(options.maxBatchEvents, options.maxBatchBytes);
  const { logGroupName, logStreamName, now } = options;
  const head = putLogEventsBodyHead(logGroupName, logStreamName);
  // Only the built-in client is known to be done with a body once its call settles.
  const bodies = client ? new BodyPool(options.maxConcurrentRequests) : undefined;
  const largest = Math.min(limits.maxBytes, MAX_LOG_EVENT_BYTES);
  const tooLarge = largest < MAX_LOG_EVENT_BYTES ? `maxBatchBytes is ${largest}` : `CloudWatch Logs takes at most ${MAX_LOG_EVENT_BYTES}`;

  return {
    description: `CloudWatch Logs group ${logGroupName} stream ${logStreamName}`,
    operation: 'PutLogEvents',
    format: LOGS_ENTRY_FORMAT,
    limits,
    encode({ json, timeMs }) {
      const bytes = logEventBytes(utf8Bytes(json));
      if (bytes > largest) return { refused: { code: 'EventTooLarge', message: `the event is ${bytes} bytes as a log event (UTF-8 message + 26); ${tooLarge}` } };
      const timestamp = Math.floor(timeMs);
      if (!Number.isSafeInteger(timestamp)) return { refused: { code: 'InvalidData', message: `the event has no usable time (actual: ${timeMs})` } };
      const age = ageProblem(timestamp, now());
      if (age !== undefined) return { refused: { code: age, message: `${rejectionMessage(age, timestamp)}; auditlake refused it before sending` } };
      return { entry: flattened(logEventEntry(timestamp, json)), bytes };
    },
    auditEventJson: (event) => logEventAuditEventJson(event.id, event.entry),
    newBatchRule: spanRule,
    async send(events, signal) {
      const sorted = chronological(events);
      const body = () => putLogEventsBody(head, sorted.map((event) => event.entry), bodies);
      return readOutcome(sorted, await sendWithBody(send, lazyInput(logGroupName, logStreamName, sorted), signal, body, bodies));
    },
    classify(error) {
      const failure = classifyRequestFailure(error, LOGS_CONFIGURATION_ERRORS);
      // "A conflicting operation is currently in progress": two creators of one group at once.
      if (failure.code === 'OperationAbortedException') return { ...failure, retryable: true };
      if (failure.code === 'ResourceNotFoundException' && options.send) {
        return { ...failure, message: `${failure.message} (with a custom send, auditlake does not create log groups or streams: create them beforehand)` };
      }
      return failure;
    },
    close: () => client?.destroy(),
  };
}

/** `eventData` of an entry of this destination's format. */
export function decodeLogsEntry(entry: string): string {
  return logEventMessage(entry);
}

/** Why the service would reject an event for its time, by the local clock; `undefined` when it would not. */
function ageProblem(timestamp: number, now: number): LogEventRejectionCode | undefined {
  if (timestamp > now + MAX_LOG_EVENT_AHEAD_MS) return 'TooNewLogEvent';
  if (timestamp < now - MAX_LOG_EVENT_AGE_MS) return 'TooOldLogEvent';
  return undefined;
}

const REJECTION_REASONS: Readonly<Record<LogEventRejectionCode, string>> = {
  TooNewLogEvent: 'is more than 2 hours in the future',
  TooOldLogEvent: 'is more than 14 days in the past',
  ExpiredLogEvent: "is older than the log group's retention period",
};

function rejectionMessage(code: LogEventRejectionCode, timestamp: number): string {
  const time = Number.isFinite(timestamp) && Math.abs(timestamp) <= 8.64e15 ? new Date(timestamp).toISOString() : String(timestamp);
  return `the event's time ${time} ${REJECTION_REASONS[code]}, which CloudWatch Logs does not take`;
}

/**
 * One batch spans less than 24 hours. The service fails a whole batch over 24 h ("cannot
 * exceed"); whether exactly 24 h passes is not documented, and a millisecond less costs nothing.
 */
function spanRule(): BatchRule {
  let min = Infinity;
  let max = -Infinity;
  return {
    accepts(event) {
      const timestamp = Math.floor(event.timeMs);
      return Math.max(max, timestamp) - Math.min(min, timestamp) < MAX_LOG_BATCH_SPAN_MS;
    },
    add(event) {
      min = Math.min(min, Math.floor(event.timeMs));
      max = Math.max(max, Math.floor(event.timeMs));
    },
  };
}

/** The events by timestamp, stable: the service fails an unsorted batch whole. */
function chronological(events: readonly QueuedEvent[]): readonly QueuedEvent[] {
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as QueuedEvent).timeMs < (events[i - 1] as QueuedEvent).timeMs) return [...events].sort((a, b) => a.timeMs - b.timeMs);
  }
  return events;
}

/** The input of a call; `logEvents` is parsed from the entries only when a custom `send` reads it. */
function lazyInput(logGroupName: string, logStreamName: string, events: readonly QueuedEvent[]): PutLogEventsInput {
  return withLazyMember({ logGroupName, logStreamName }, 'logEvents', () => events.map((event) => JSON.parse(event.entry) as InputLogEvent));
}

/**
 * Splits a 200 response: the events `rejectedLogEventsInfo` points at (indices into the sorted
 * request) are rejected for good, every other one was taken. The model calls the too-old end
 * index "exclusive", and AWS's own agent reads it as a count: events [0, end) are too old; the
 * expired index is read the same way. An event in both old ranges is reported as too old.
 */
function readOutcome(sorted: readonly QueuedEvent[], output: PutLogEventsOutput): SendOutcome {
  const info = output?.rejectedLogEventsInfo;
  const count = sorted.length;
  const tooNewFrom = index(info?.tooNewLogEventStartIndex, count) ?? count;
  const tooOldBefore = index(info?.tooOldLogEventEndIndex, count) ?? 0;
  const expiredBefore = index(info?.expiredLogEventEndIndex, count) ?? 0;
  const outcome: SendOutcome = { delivered: [], rejected: [], retry: [], retryReason: '', throttled: false };
  sorted.forEach((event, i) => {
    const code: LogEventRejectionCode | undefined =
      i >= tooNewFrom ? 'TooNewLogEvent' : i < tooOldBefore ? 'TooOldLogEvent' : i < expiredBefore ? 'ExpiredLogEvent' : undefined;
    if (code === undefined) outcome.delivered.push(event);
    else outcome.rejected.push({ event, code, message: `${rejectionMessage(code, Math.floor(event.timeMs))} (PutLogEvents rejectedLogEventsInfo)` });
  });
  return outcome;
}

/** An index of the response, within [0, count]; `undefined` when absent or not an index. */
function index(value: unknown, count: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? Math.min(value, count) : undefined;
}
