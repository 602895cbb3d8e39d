/**
 * PutLogEvents' own limits and codes, from the CloudWatch Logs 2014-03-28 model (see
 * ../shared/reference/cloudwatch-logs-facts.md). The sink reads them from here, and so can an
 * emulator of the service.
 */

/** `InputLogEvents`: 1–10,000 events per call. */
export const MAX_LOG_EVENTS_PER_REQUEST = 10_000;

/** "The maximum batch size is 1,048,576 bytes", counted as the UTF-8 bytes of each message plus {@link LOG_EVENT_OVERHEAD_BYTES}. */
export const MAX_LOG_BATCH_BYTES = 1_048_576;

/** What each event adds to the batch size besides its message ("plus 26 bytes for each log event"). */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * "Each log event can be no larger than 1 MB." Whether the 26 bytes count is not documented;
 * under the former 256 KB limit they did (262,118 bytes of message was the most), so the same
 * reading holds here: message bytes + 26 ≤ 1,048,576, which also lets the event fill a batch.
 */
export const MAX_LOG_EVENT_BYTES = MAX_LOG_BATCH_BYTES;

/** "For valid events …, the time span in a single batch cannot exceed 24 hours. Otherwise, the operation fails." */
export const MAX_LOG_BATCH_SPAN_MS = 24 * 3_600_000;

/** "Events older than 14 days … are rejected while processing remaining valid events." */
export const MAX_LOG_EVENT_AGE_MS = 14 * 24 * 3_600_000;

/** "Events more than 2 hours in the future are rejected while processing remaining valid events." */
export const MAX_LOG_EVENT_AHEAD_MS = 2 * 3_600_000;

/** `LogGroupName`: 1–512 characters of `[.\-_/#A-Za-z0-9]`. */
export const LOG_GROUP_NAME_PATTERN = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** `LogStreamName`: 1–512 characters, no `:` and no `*`. */
export const LOG_STREAM_NAME_PATTERN = /^[^:*]{1,512}$/;

/** The awsJson1_1 target prefix: `X-Amz-Target: Logs_20140328.<Operation>`. */
export const LOGS_TARGET_PREFIX = 'Logs_20140328';

/** The codes auditlake gives events the service rejected in `rejectedLogEventsInfo` (or that it refused for the same reason before sending). */
export const LOG_EVENT_REJECTION_CODES = ['TooNewLogEvent', 'TooOldLogEvent', 'ExpiredLogEvent'] as const;
export type LogEventRejectionCode = (typeof LOG_EVENT_REJECTION_CODES)[number];
