/**
 * What the local lake, the benchmarks and the tests use of core's insides: the service's limits
 * and codes, the schema, the wire encoding, the retry rules and the virtual clock. Not a stable
 * API: it changes with the engine.
 */
export { resolveAuditSinkOptions } from './resolve-options.js';
export { createResolvedSink } from './sink.js';
export type { ResolvedAuditSinkOptions } from './resolve-options.js';
export { createRecordEncoder, formatEventTime, DEFAULT_EVENT_VERSION, DEFAULT_USER_IDENTITY_TYPE } from './map-record.js';
export type { EncodedRecord, RecordEncoder } from './map-record.js';
export { validateAuditEventEntry, isEventTime } from './validate.js';
export { measureCappedFields, newAuditEventId } from './audit-event.js';
export type { FieldBytes } from './audit-event.js';
export { auditEventEntry, eventDataChecksum, requestBody, requestBodyBuffer, requestBodyBytes, REQUEST_ENVELOPE_BYTES } from './destinations/cloudtrail-lake/entry.js';
export { LAKE_CONFIGURATION_ERRORS, createCloudTrailLakeDestination } from './destinations/cloudtrail-lake/destination.js';
export { parseChannelArn, defaultEndpoint, CHANNEL_ARN_RULE } from './destinations/cloudtrail-lake/channel-arn.js';
export type { ChannelArn } from './destinations/cloudtrail-lake/channel-arn.js';
export {
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BODY_BYTES,
  EVENT_ID_PATTERN,
  EXTERNAL_ID_PATTERN,
  EVENT_ERROR_CODES,
  RETRYABLE_EVENT_ERROR_CODES,
  REQUEST_ERROR_CODES,
  MAX_ERROR_MESSAGE_LENGTH,
} from './destinations/cloudtrail-lake/limits.js';
export type { EventErrorCode, RequestErrorCode } from './destinations/cloudtrail-lake/limits.js';
export { createDestination, ENTRY_DECODERS } from './destinations/index.js';
export { LOGS_CONFIGURATION_ERRORS, LOGS_ENTRY_FORMAT, createCloudWatchLogsDestination } from './destinations/cloudwatch-logs/destination.js';
export type { CloudWatchLogsDestinationOptions } from './destinations/cloudwatch-logs/destination.js';
export { logEventEntry, logEventMessage, logEventBytes, logsBatchLimits, putLogEventsBody, putLogEventsBodyHead } from './destinations/cloudwatch-logs/entry.js';
export { defaultLogsEndpoint, defaultLogStreamName } from './destinations/cloudwatch-logs/options.js';
export {
  MAX_LOG_EVENTS_PER_REQUEST,
  MAX_LOG_BATCH_BYTES,
  LOG_EVENT_OVERHEAD_BYTES,
  MAX_LOG_EVENT_BYTES,
  MAX_LOG_BATCH_SPAN_MS,
  MAX_LOG_EVENT_AGE_MS,
  MAX_LOG_EVENT_AHEAD_MS,
  LOG_GROUP_NAME_PATTERN,
  LOG_STREAM_NAME_PATTERN,
  LOGS_TARGET_PREFIX,
  LOG_EVENT_REJECTION_CODES,
} from './destinations/cloudwatch-logs/limits.js';
export type { LogEventRejectionCode } from './destinations/cloudwatch-logs/limits.js';
export { EVENT_DATA_FIELDS, USER_IDENTITY_FIELDS, CAPPED_FIELDS, EVENT_TIME_PATTERN, ACCOUNT_ID_PATTERN } from './schema.js';
export type { CappedField, FieldRule, JsonObject } from './schema.js';
export { classifyRequestFailure, backoffDelayMs, describeFailure } from './retry.js';
export type { RequestFailure } from './retry.js';
export { environmentCredentials, memoizeCredentials, CREDENTIALS_REFRESH_MS } from './aws/credentials.js';
export { toJsonSafe, setOwn, wellFormed, utf8Bytes, stringifySafe, DEFAULT_MAX_DEPTH } from './serialize.js';
export { describeValue } from './errors.js';
export { systemClock, sleep } from './clock.js';
export { createVirtualClock } from './virtual-clock.js';
export type { VirtualClock } from './virtual-clock.js';
export { registerSinkMetrics, sinkMetricsShape } from './self-metrics.js';
export type { SinkMetricsOptions } from './self-metrics.js';
export { processAlive, processStartTime, sameProcessAlive } from './process-identity.js';
