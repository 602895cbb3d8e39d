/**
 * @auditlake/core: audit events from any logger to CloudTrail Lake or CloudWatch Logs, through
 * one engine behind `createAuditSink()`. What only the local lake and the front ends' internals
 * need is in `@auditlake/core/internal`.
 */
export { createAuditSink } from './sink.js';
export type { AuditSink, DeliveryReport } from './sink.js';
export type { AuditSinkStats, SpoolStats } from './ledger.js';
export { AUDIT_SINK_DEFAULTS } from './resolve-options.js';
export type { AuditSinkOptions, ServiceCall, ServiceSend } from './options.js';
export type { AuditLogRecord } from './record.js';
export type { AuditEvent } from './audit-event.js';
export type { AuditEventData } from './schema.js';
export { mapAuditRecord, createRecordMapper, toEpochMs } from './map-record.js';
export type { MapAuditRecordOptions, RecordMapper } from './map-record.js';
export { validateEventData } from './validate.js';
export type { EventDataViolation, ValidateEventDataOptions } from './validate.js';
export { createPutAuditEventsClient } from './destinations/cloudtrail-lake/put-audit-events-client.js';
export type {
  PutAuditEventsClient,
  PutAuditEventsClientOptions,
  PutAuditEventsInput,
  PutAuditEventsOutput,
  PutAuditEventsSend,
  PutAuditEventsSendOptions,
} from './destinations/cloudtrail-lake/put-audit-events-client.js';
export { createCloudWatchLogsClient } from './destinations/cloudwatch-logs/cloudwatch-logs-client.js';
export type {
  CloudWatchLogsClient,
  CloudWatchLogsClientOptions,
  LogStreamInput,
  PutLogEventsInput,
  PutLogEventsOutput,
  PutLogEventsSend,
  PutLogEventsSendOptions,
  RejectedLogEventsInfo,
} from './destinations/cloudwatch-logs/cloudwatch-logs-client.js';
export type { InputLogEvent } from './destinations/cloudwatch-logs/entry.js';
export type { SignedRequest } from './aws/http-client.js';
export type { AwsCredentials, AwsCredentialsProvider } from './aws/credentials.js';
export { DEFAULT_DEAD_LETTER_FILE } from './dead-letter.js';
export { replayDeadLetters } from './replay.js';
export type { ReplayOptions, ReplayReport } from './replay.js';
export type { DeadLetter, DeadLetterHandler } from './dead-letter.js';
export { defaultDiagnostics } from './diagnostics.js';
export type { Diagnostics } from './diagnostics.js';
export type { Clock, ClockTimer } from './clock.js';
export type { MeterProviderLike, MeterLike } from './self-metrics.js';
export { toJsonSafe, setOwn } from './serialize.js';
export { REDACTED } from './redact.js';
export { AuditLakeError, ConfigurationError, AwsRequestError, isAuditLakeError, isConfigurationError, isAwsRequestError } from './errors.js';
