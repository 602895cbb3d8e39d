import { addContext, ADDITIONAL_EVENT_DATA_MAX_BYTES, fitAdditionalEventData, TRUNCATED_KEY, withContext } from './additional-event-data.js';
import { newUuid, type FieldBytes } from './audit-event.js';
import { writeEventData } from './event-data-text.js';
import { eventTime } from './event-time.js';
import { ConfigurationError } from './errors.js';
import { IDENTITY_GIVEN, OVER_LONG_FIELDS_MODES, truncateOverLongFields, type OverLongFields } from './over-long-fields.js';
import type { AuditLogRecord } from './record.js';
import { compileRedactPath, redact, type RedactPath } from './redact.js';
import { EVENT_DATA_FIELDS, isJsonObject, USER_IDENTITY_FIELDS, type AuditEventData, type JsonObject } from './schema.js';
import { attribute, CLIENT_ADDRESS, ERROR_TYPE, EVENT_NAME, EXCEPTION_MESSAGE, principalIdOf, scalar, SERVICE_NAME, text, USER_AGENT } from './record-fallbacks.js';
import { DEFAULT_MAX_DEPTH, definedFields, isJsonShaped, mayHoldLoneSurrogate, setOwn, toJsonSafe } from './serialize.js';

export { isJsonObject } from './schema.js';
export { formatEventTime, toEpochMs } from './event-time.js';

/** How records become `eventData`. Every field is optional; defaults are given per field. */
export interface MapAuditRecordOptions {
  /** `eventSource` when the record has none. Default: resource `service.name`. */
  eventSource?: string;
  /** `userIdentity.type` when the record has none. @default 'CustomUserIdentity' */
  userIdentityType?: string;
  /** `version` when the record has none. @default '1.0' */
  eventVersion?: string;
  /** `recipientAccountId` when the record has none. The sink passes the channel ARN's account. */
  recipientAccountId?: string;
  /** Paths to redact, relative to `eventData` (see `redact`). @default [] */
  redact?: readonly string[];
  /** Depth below which nested values are rendered `"[MaxDepth]"`. @default 32 */
  maxDepth?: number;
  /** The clock, for `eventTime` when the record has no time. @default Date.now */
  now?: () => number;
  /**
   * A text field given in `audit` that is over its schema cap: `'truncate'` cuts it to the cap,
   * ending with `…[truncated N chars]`, and keeps the full text in
   * `additionalEventData.truncated.<field>`; `'deadLetter'` leaves it, for the validator to
   * refuse with `FieldTooLong`. Fields filled from the log's context are truncated either way.
   * @default 'truncate'
   */
  overLongFields?: OverLongFields;
}

export const DEFAULT_USER_IDENTITY_TYPE = 'CustomUserIdentity';
export const DEFAULT_EVENT_VERSION = '1.0';
export const DEFAULT_OVER_LONG_FIELDS: OverLongFields = 'truncate';

/** Maps one record; `undefined` when the record is not an audit event. */
export type RecordMapper = (record: AuditLogRecord) => AuditEventData | undefined;

/** A mapped record with its serialized text, which the sink sends as `eventData`. */
export interface EncodedRecord {
  data: AuditEventData;
  json: string;
  /** The event's time in epoch milliseconds (finer than `eventTime`'s seconds), for destinations that index by it. */
  timeMs: number;
  /** How many text fields were cut to their caps (their full texts are in `additionalEventData.truncated`). */
  truncatedFields?: number;
  /** UTF-8 size of `json`, when it was long enough to be measured. */
  bytes: number | undefined;
  /** UTF-8 sizes of the capped object fields whose cap is below the text's size (no other can be over its cap). */
  fieldBytes: FieldBytes | undefined;
}

/** Maps and serializes one record in a single pass (the sink's path); `undefined` when not an audit event. */
export type RecordEncoder = (record: AuditLogRecord) => EncodedRecord | undefined;

/**
 * Compiles options once and returns the mapper. The result may still break the schema (when
 * the record's own `audit` fields do): run `validateEventData` on it.
 */
export function createRecordMapper(options: MapAuditRecordOptions = {}): RecordMapper {
  // The caller owns what it gets: a tree of its own, sharing nothing with the record.
  const config = compileOptions(options, false);
  return (record) => {
    const data = encodeRecord(record, config)?.data as unknown as JsonObject | undefined;
    if (data === undefined) return undefined;
    // The encoder writes absent fields as undefined (one shape); the caller gets them left out.
    const out = definedFields(data);
    if (isJsonObject(out.additionalEventData)) out.additionalEventData = definedFields(out.additionalEventData);
    return out as unknown as AuditEventData;
  };
}

/**
 * Like {@link createRecordMapper}, returning the serialized text too, so that it is written only
 * once. The sink's path: its `data` may share objects with the record (what needs no rendering
 * is not copied), so it is read, never changed, and the text is what is kept.
 */
export function createRecordEncoder(options: MapAuditRecordOptions = {}): RecordEncoder {
  const config = compileOptions(options, true);
  return (record) => encodeRecord(record, config);
}

function compileOptions(options: MapAuditRecordOptions, share: boolean): MapperConfig {
  const paths = (options.redact ?? []).map((path, index) => {
    const compiled = compileRedactPath(path);
    if (!compiled) throw new ConfigurationError(`redact[${index}]`, 'a dot-separated path such as "requestParameters.password" or "**.token"', path);
    return compiled;
  });
  const overLongFields = options.overLongFields ?? DEFAULT_OVER_LONG_FIELDS;
  if (!OVER_LONG_FIELDS_MODES.includes(overLongFields)) throw new ConfigurationError('overLongFields', `one of ${OVER_LONG_FIELDS_MODES.map((m) => `'${m}'`).join(', ')}`, overLongFields);
  return {
    eventSource: withinCap('eventSource', options.eventSource, EVENT_DATA_FIELDS.eventSource.maxLength),
    userIdentityType: withinCap('userIdentityType', options.userIdentityType, USER_IDENTITY_FIELDS.type.maxLength) ?? DEFAULT_USER_IDENTITY_TYPE,
    eventVersion: withinCap('eventVersion', options.eventVersion, EVENT_DATA_FIELDS.version.maxLength) ?? DEFAULT_EVENT_VERSION,
    recipientAccountId: options.recipientAccountId,
    redact: paths,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    now: options.now ?? Date.now,
    overLongFields,
    // Redaction writes into what it matches, so it needs a tree of our own.
    share: share && paths.length === 0,
  };
}

/** Maps one record with the given options (compiled on each call; the sink compiles once). */
export function mapAuditRecord(record: AuditLogRecord, options?: MapAuditRecordOptions): AuditEventData | undefined {
  return createRecordMapper(options)(record);
}

/** An option that fills a capped field is checked once, here, rather than truncated in every event. */
function withinCap(name: string, value: string | undefined, maxLength: number | undefined): string | undefined {
  if (typeof value === 'string' && maxLength !== undefined && value.length > maxLength) throw new ConfigurationError(name, `at most ${maxLength} characters`, value);
  return value;
}

interface MapperConfig {
  eventSource: string | undefined;
  userIdentityType: string;
  eventVersion: string;
  recipientAccountId: string | undefined;
  redact: readonly RedactPath[];
  maxDepth: number;
  now: () => number;
  overLongFields: OverLongFields;
  /**
   * Values that need no rendering are used as they are, not copied, and their strings' well-formedness
   * is checked once, on the text (see {@link isJsonShaped}).
   */
  share: boolean;
}

const AUDIT_PREFIX = 'audit.';

function encodeRecord(record: AuditLogRecord, config: MapperConfig): EncodedRecord | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const attributes = record.attributes;
  if (attributes === null || typeof attributes !== 'object') return undefined;
  if (!config.share) return encodeAudit(record, attributes, config);
  try {
    const encoded = encodeAudit(record, attributes, config);
    // Shared strings are not checked one by one: a lone surrogate shows in the text.
    if (encoded === undefined || !mayHoldLoneSurrogate(encoded.json)) return encoded;
  } catch {
    // Shared values passed the check but changed under JSON.stringify (a getter that now
    // throws or returns a bigint).
  }
  // Render a copy of everything, which cannot throw and holds only well-formed text.
  return encodeAudit(record, attributes, { ...config, share: false });
}

function encodeAudit(record: AuditLogRecord, attributes: Record<string, unknown>, config: MapperConfig): EncodedRecord | undefined {
  const keys = Object.keys(attributes);
  const audit = extractAudit(attributes, keys, config);
  if (!audit) return undefined;

  // Shared values' texts are checked on the serialized text: read them as given (see `scalar`).
  const asGiven = config.share;
  const identity = audit.userIdentity;
  let userIdentity: unknown = identity;
  // Which of userIdentity's texts were given (the overLongFields mode tells them from fallbacks).
  let identityGiven = 0;
  if (identity === undefined || identity === null) {
    userIdentity = { type: config.userIdentityType, principalId: principalIdOf(attributes, asGiven) };
  } else if (isJsonObject(identity)) {
    if (identity.type !== undefined && identity.type !== null) identityGiven |= IDENTITY_GIVEN.type;
    if (identity.principalId !== undefined && identity.principalId !== null) identityGiven |= IDENTITY_GIVEN.principalId;
    // A copy (`identity` may be the caller's own object), without the undefined values a rendered
    // one leaves out, its fields in the schema's order whatever the given order (validation reads
    // such an object in one pass).
    const filled: JsonObject = { type: text(identity.type, asGiven) ?? config.userIdentityType, principalId: text(identity.principalId, asGiven) ?? principalIdOf(attributes, asGiven) };
    for (const key of Object.keys(identity)) if (key !== 'type' && key !== 'principalId' && identity[key] !== undefined) setOwn(filled, key, identity[key]);
    userIdentity = filled;
  }

  const time = eventTime(audit.eventTime, record.time, config.now);
  // Every field is written, undefined when absent (JSON leaves it out): one shape for every
  // event, so that what reads it stays fast; a field is never deleted (that makes a dictionary).
  const data: JsonObject = {
    version: text(audit.version, asGiven) ?? config.eventVersion,
    userIdentity,
    userAgent: text(audit.userAgent, asGiven) ?? attribute(attributes, USER_AGENT, asGiven),
    eventSource: text(audit.eventSource, asGiven) ?? config.eventSource ?? attribute(record.resource, SERVICE_NAME, asGiven),
    eventName: text(audit.eventName, asGiven) ?? scalar(record.eventName, asGiven) ?? attribute(attributes, EVENT_NAME, asGiven),
    eventTime: time.text,
    UID: text(audit.UID, asGiven) ?? newUuid(),
    requestParameters: audit.requestParameters ?? undefined,
    responseElements: audit.responseElements ?? undefined,
    errorCode: text(audit.errorCode, asGiven) ?? attribute(attributes, ERROR_TYPE, asGiven),
    errorMessage: text(audit.errorMessage, asGiven) ?? attribute(attributes, EXCEPTION_MESSAGE, asGiven),
    sourceIPAddress: text(audit.sourceIPAddress, asGiven) ?? attribute(attributes, CLIENT_ADDRESS, asGiven),
    recipientAccountId: text(audit.recipientAccountId, asGiven) ?? config.recipientAccountId,
    additionalEventData: withContext(audit.additionalEventData, record, attributes, keys, config.maxDepth, config.share),
  };
  // Keys outside the schema stay, so that validation names them instead of losing them.
  for (const key of Object.keys(audit)) if (!Object.hasOwn(EVENT_DATA_FIELDS, key) && audit[key] !== undefined) setOwn(data, key, audit[key]);

  if (config.redact.length > 0) redact(data, config.redact);
  // After redaction: a redacted value is short, so a secret is never copied into `truncated`.
  const truncated = truncateOverLongFields(data, config.overLongFields, audit, identityGiven);
  if (truncated) keepFullTexts(data, truncated.full, config.redact);
  let written = writeEventData(data);
  // Context is left out only when the text shows that the filled object is over its cap.
  if ((written.fieldBytes?.additionalEventData ?? 0) > ADDITIONAL_EVENT_DATA_MAX_BYTES && isJsonObject(data.additionalEventData)) {
    data.additionalEventData = fitAdditionalEventData(data.additionalEventData, audit.additionalEventData);
    written = writeEventData(data);
  }
  const encoded: EncodedRecord = { data: data as unknown as AuditEventData, json: written.json, timeMs: time.ms, bytes: written.bytes, fieldBytes: written.fieldBytes };
  if (truncated) encoded.truncatedFields = truncated.count;
  return encoded;
}

/**
 * The full texts of cut fields, into `additionalEventData.truncated` (given fields win on a name
 * clash, and a given `additionalEventData` that is not an object is left for the validator).
 * Redaction runs again, for paths that name `additionalEventData.truncated` itself.
 */
function keepFullTexts(data: JsonObject, full: JsonObject, paths: readonly RedactPath[]): void {
  const extra = data.additionalEventData;
  if (extra === undefined) data.additionalEventData = { [TRUNCATED_KEY]: full };
  else if (isJsonObject(extra)) addContext(extra, TRUNCATED_KEY, full);
  if (paths.length > 0) redact(data, paths);
}

/**
 * The `audit` namespace of a record: nested object and flat `audit.*` keys merged, flat keys
 * last. With `share`, a nested object that needs no rendering is returned as it is (the caller's).
 */
function extractAudit(attributes: Record<string, unknown>, keys: readonly string[], config: MapperConfig): JsonObject | undefined {
  const { maxDepth } = config;
  let audit: JsonObject | undefined;
  let flat = false;
  for (const key of keys) {
    if (key.length > AUDIT_PREFIX.length && key.startsWith(AUDIT_PREFIX)) {
      flat = true;
      break;
    }
  }
  const nested = attributes.audit;
  if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) {
    // Flat keys are written into the nested object: then it must be a copy.
    if (config.share && !flat && isJsonShaped(nested, maxDepth)) return nested as JsonObject;
    const safe = toJsonSafe(nested, maxDepth);
    if (isJsonObject(safe)) audit = safe;
  }
  if (!flat) return audit;
  for (const key of keys) {
    if (key.length <= AUDIT_PREFIX.length || !key.startsWith(AUDIT_PREFIX)) continue;
    audit ??= {};
    setPath(audit, key.slice(AUDIT_PREFIX.length).split('.'), toJsonSafe(attributes[key], maxDepth));
  }
  return audit;
}

function setPath(target: JsonObject, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (isJsonObject(next)) {
      node = next;
    } else {
      const created: JsonObject = {};
      setOwn(node, key, created);
      node = created;
    }
  }
  setOwn(node, path[path.length - 1] as string, value);
}
