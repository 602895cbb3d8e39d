/**
 * The service's own limits and codes, from the cloudtrail-data 2021-08-11 model and the
 * CloudTrail Lake integration event schema (see ../shared/reference/cloudtrail-lake-facts.md).
 * Both the sink and the local lake read them from here.
 */

/** `AuditEvents` list: min 1, max 100 entries per PutAuditEvents call. */
export const MAX_EVENTS_PER_REQUEST = 100;

/**
 * "up to 100 events (or up to 1 MB) per request". Whether 1 MB is 10^6 or 2^20 bytes, of the
 * body or of the event data, is not documented: we hold the whole serialized body to 10^6.
 */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;

/** `Uuid` shape used for `AuditEvent.id`: 1–128 characters of `[-_A-Za-z0-9]`. */
export const EVENT_ID_PATTERN = /^[-_A-Za-z0-9]{1,128}$/;

/** `ExternalId` shape: 2–1224 characters of `[\w+=,.@:/-]`. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

/** Per-event error codes the service documents in `ResultErrorEntry.errorCode`. */
export const EVENT_ERROR_CODES = [
  'FieldTooLong',
  'FieldNotFound',
  'InvalidChecksum',
  'InvalidData',
  'InvalidRecipient',
  'InvalidEventSource',
  'AccountNotSubscribed',
  'Throttling',
  'InternalFailure',
] as const;
export type EventErrorCode = (typeof EVENT_ERROR_CODES)[number];

/** Per-event codes that describe a passing condition: those events are resent with the same id. */
export const RETRYABLE_EVENT_ERROR_CODES: ReadonlySet<string> = new Set(['Throttling', 'InternalFailure']);

/** Request-level errors the model declares for PutAuditEvents (all `client` faults, HTTP 400). */
export const REQUEST_ERROR_CODES = [
  'ChannelInsufficientPermission',
  'ChannelNotFound',
  'ChannelUnsupportedSchema',
  'DuplicatedAuditEventId',
  'InvalidChannelARN',
  'UnsupportedOperationException',
] as const;
export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

/** `ResultErrorEntry.errorMessage` is 1–1024 characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
