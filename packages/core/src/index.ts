export { createAuditSink } from './sink.js';
export type { AuditSink, AuditSinkStats, DeliveryReport } from './sink.js';
export { AUDIT_SINK_DEFAULTS, resolveAuditSinkOptions } from './options.js';
export type { AuditSinkOptions, ResolvedAuditSinkOptions } from './options.js';
export type { AuditLogRecord } from './record.js';
export { createRecordEncoder, createRecordMapper, mapAuditRecord, formatEventTime, DEFAULT_EVENT_VERSION, DEFAULT_USER_IDENTITY_TYPE } from './map-record.js';
export type { EncodedRecord, MapAuditRecordOptions, RecordEncoder, RecordMapper } from './map-record.js';
export { validateEventData, validateAuditEventEntry, isEventTime } from './validate.js';
export type { EventDataViolation, ValidateEventDataOptions } from './validate.js';
export { auditEventEntry, auditEventEntryBytes, cappedFieldBytes, encodeEventData, measureCappedFields, eventDataChecksum, newAuditEventId, requestBody, requestBodyBuffer, requestBodyBytes, REQUEST_ENVELOPE_BYTES } from './audit-event.js';
export type { AuditEvent, FieldBytes } from './audit-event.js';
export { createPutAuditEventsClient, memoizeCredentials, CREDENTIALS_REFRESH_MS } from './put-audit-events.js';
export type {
  AwsCredentials,
  AwsCredentialsProvider,
  PutAuditEventsClient,
  PutAuditEventsClientOptions,
  PutAuditEventsInput,
  PutAuditEventsOutput,
  PutAuditEventsSend,
  PutAuditEventsSendOptions,
  SignedPutAuditEventsRequest,
} from './put-audit-events.js';
export { classifyRequestFailure, backoffDelayMs } from './retry.js';
export type { RequestFailure } from './retry.js';
export { createDeadLetterWriter, DEFAULT_DEAD_LETTER_FILE } from './dead-letter.js';
export type { DeadLetter, DeadLetterHandler, DeadLetterWriter } from './dead-letter.js';
export { defaultDiagnostics } from './diagnostics.js';
export type { Diagnostics } from './diagnostics.js';
export { parseChannelArn, defaultEndpoint, CHANNEL_ARN_RULE } from './channel-arn.js';
export type { ChannelArn } from './channel-arn.js';
export { toJsonSafe, setOwn, wellFormed, utf8Bytes, DEFAULT_MAX_DEPTH } from './serialize.js';
export { REDACTED } from './redact.js';
export {
  AuditLakeError,
  ConfigurationError,
  PutAuditEventsError,
  isAuditLakeError,
  isConfigurationError,
  isPutAuditEventsError,
} from './errors.js';
export type { Fault } from './errors.js';
export {
  EVENT_DATA_FIELDS,
  USER_IDENTITY_FIELDS,
  CAPPED_FIELDS,
  EVENT_TIME_PATTERN,
  ACCOUNT_ID_PATTERN,
} from './schema.js';
export type { AuditEventData, CappedField, FieldRule, JsonObject } from './schema.js';
export {
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BODY_BYTES,
  EVENT_ID_PATTERN,
  EXTERNAL_ID_PATTERN,
  EVENT_ERROR_CODES,
  RETRYABLE_EVENT_ERROR_CODES,
  REQUEST_ERROR_CODES,
  MAX_ERROR_MESSAGE_LENGTH,
} from './limits.js';
export type { EventErrorCode, RequestErrorCode } from './limits.js';
