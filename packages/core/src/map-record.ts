import { randomUUID } from 'node:crypto';
import { addContext, fitAdditionalEventData, mayExceedCap, TRUNCATED_KEY, withContext } from './additional-event-data.js';
import { eventTime } from './event-time.js';
import { ConfigurationError } from './errors.js';
import { IDENTITY_GIVEN, OVER_LONG_FIELDS_MODES, truncateOverLongFields, type OverLongFields } from './over-long-fields.js';
import type { AuditLogRecord } from './record.js';
import { compileRedactPath, redact, type RedactPath } from './redact.js';
import { EVENT_DATA_FIELDS, isJsonObject, USER_IDENTITY_FIELDS, type AuditEventData, type JsonObject } from './schema.js';
import { DEFAULT_MAX_DEPTH, setOwn, toJsonSafe, wellFormed } from './serialize.js';

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
}

/** Maps and serializes one record in a single pass (the sink's path); `undefined` when not an audit event. */
export type RecordEncoder = (record: AuditLogRecord) => EncodedRecord | undefined;

/**
 * Compiles options once and returns the mapper. The result may still break the schema (when
 * the record's own `audit` fields do): run `validateEventData` on it.
 */
export function createRecordMapper(options: MapAuditRecordOptions = {}): RecordMapper {
  const encode = createRecordEncoder(options);
  return (record) => encode(record)?.data;
}

/** Like {@link createRecordMapper}, returning the serialized text too, so that it is written only once. */
export function createRecordEncoder(options: MapAuditRecordOptions = {}): RecordEncoder {
  const paths = (options.redact ?? []).map((path, index) => {
    const compiled = compileRedactPath(path);
    if (!compiled) throw new ConfigurationError(`redact[${index}]`, 'a dot-separated path such as "requestParameters.password" or "**.token"', path);
    return compiled;
  });
  const overLongFields = options.overLongFields ?? DEFAULT_OVER_LONG_FIELDS;
  if (!OVER_LONG_FIELDS_MODES.includes(overLongFields)) throw new ConfigurationError('overLongFields', `one of ${OVER_LONG_FIELDS_MODES.map((m) => `'${m}'`).join(', ')}`, overLongFields);
  const config: MapperConfig = {
    eventSource: withinCap('eventSource', options.eventSource, EVENT_DATA_FIELDS.eventSource.maxLength),
    userIdentityType: withinCap('userIdentityType', options.userIdentityType, USER_IDENTITY_FIELDS.type.maxLength) ?? DEFAULT_USER_IDENTITY_TYPE,
    eventVersion: withinCap('eventVersion', options.eventVersion, EVENT_DATA_FIELDS.version.maxLength) ?? DEFAULT_EVENT_VERSION,
    recipientAccountId: options.recipientAccountId,
    redact: paths,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    now: options.now ?? Date.now,
    overLongFields,
  };
  return (record) => encodeRecord(record, config);
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
}

const AUDIT_PREFIX = 'audit.';

function encodeRecord(record: AuditLogRecord, config: MapperConfig): EncodedRecord | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const attributes = record.attributes;
  if (attributes === null || typeof attributes !== 'object') return undefined;
  const audit = extractAudit(attributes, config.maxDepth);
  if (!audit) return undefined;

  const principalId = () => attribute(attributes, USER_ID) ?? attribute(attributes, ENDUSER_ID);
  const identity = audit.userIdentity;
  let userIdentity: unknown = identity;
  // Which of userIdentity's texts were given: the object is filled in place below.
  let identityGiven = 0;
  if (identity === undefined || identity === null) {
    userIdentity = { type: config.userIdentityType, principalId: principalId() };
  } else if (isJsonObject(identity)) {
    if (identity.type !== undefined && identity.type !== null) identityGiven |= IDENTITY_GIVEN.type;
    if (identity.principalId !== undefined && identity.principalId !== null) identityGiven |= IDENTITY_GIVEN.principalId;
    identity.type = text(identity.type) ?? config.userIdentityType;
    identity.principalId = text(identity.principalId) ?? principalId();
  }

  // Only defined values are written (no `delete`: it turns objects into slow dictionaries).
  const data: JsonObject = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) data[key] = value;
  };
  put('version', text(audit.version) ?? config.eventVersion);
  put('userIdentity', userIdentity);
  put('userAgent', text(audit.userAgent) ?? attribute(attributes, USER_AGENT));
  put('eventSource', text(audit.eventSource) ?? config.eventSource ?? attribute(record.resource, SERVICE_NAME));
  put('eventName', text(audit.eventName) ?? scalar(record.eventName) ?? attribute(attributes, EVENT_NAME));
  const time = eventTime(audit.eventTime, record.time, config.now);
  put('eventTime', time.text);
  put('UID', text(audit.UID) ?? randomUUID());
  put('requestParameters', audit.requestParameters ?? undefined);
  put('responseElements', audit.responseElements ?? undefined);
  put('errorCode', text(audit.errorCode) ?? attribute(attributes, ERROR_TYPE));
  put('errorMessage', text(audit.errorMessage) ?? attribute(attributes, EXCEPTION_MESSAGE));
  put('sourceIPAddress', text(audit.sourceIPAddress) ?? attribute(attributes, CLIENT_ADDRESS));
  put('recipientAccountId', text(audit.recipientAccountId) ?? config.recipientAccountId);
  put('additionalEventData', withContext(audit.additionalEventData, record, attributes, config.maxDepth, scalar));
  // Keys outside the schema stay, so that validation names them instead of losing them.
  for (const key of Object.keys(audit)) if (!Object.hasOwn(EVENT_DATA_FIELDS, key)) put(key, audit[key]);

  if (config.redact.length > 0) redact(data, config.redact);
  // After redaction: a redacted value is short, so a secret is never copied into `truncated`.
  const truncated = truncateOverLongFields(data, config.overLongFields, audit, identityGiven);
  if (truncated) keepFullTexts(data, truncated.full, config.redact);
  let json = JSON.stringify(data);
  // Fitting the context is only worth a look when the whole text could exceed the cap.
  if (mayExceedCap(data, json)) {
    data.additionalEventData = fitAdditionalEventData(data.additionalEventData as JsonObject, audit.additionalEventData);
    json = JSON.stringify(data);
  }
  const encoded: EncodedRecord = { data: data as unknown as AuditEventData, json, timeMs: time.ms };
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

/** The `audit` namespace of a record: nested object and flat `audit.*` keys merged, flat keys last. */
function extractAudit(attributes: Record<string, unknown>, maxDepth: number): JsonObject | undefined {
  let audit: JsonObject | undefined;
  const nested = attributes.audit;
  if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) {
    const safe = toJsonSafe(nested, maxDepth);
    if (isJsonObject(safe)) audit = safe;
  }
  for (const key of Object.keys(attributes)) {
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

// Semantic-convention attributes the fallbacks read, split once.
const USER_ID = ['user.id', 'user', 'id'] as const;
const ENDUSER_ID = ['enduser.id', 'enduser', 'id'] as const;
const USER_AGENT = ['user_agent.original', 'user_agent', 'original'] as const;
const EVENT_NAME = ['event.name', 'event', 'name'] as const;
const SERVICE_NAME = ['service.name', 'service', 'name'] as const;
const ERROR_TYPE = ['error.type', 'error', 'type'] as const;
const EXCEPTION_MESSAGE = ['exception.message', 'exception', 'message'] as const;
const CLIENT_ADDRESS = ['client.address', 'client', 'address'] as const;

/** A fallback attribute, flat (`user.id`) or nested (`user: { id }`), as a string. */
function attribute(source: Record<string, unknown> | undefined, [flat, parent, child]: readonly [string, string, string]): string | undefined {
  if (source === undefined || source === null) return undefined;
  const direct = scalar(source[flat]);
  if (direct !== undefined) return direct;
  const group = source[parent];
  return group !== null && typeof group === 'object' ? scalar((group as Record<string, unknown>)[child]) : undefined;
}

/** A string from a scalar (numbers, booleans and bigints are written out); anything else is `undefined`. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return wellFormed(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}

/**
 * A field given in `audit`: scalars become strings; `null`/`undefined` mean absent (so the
 * fallbacks apply); objects and arrays stay as they are, for the validator to reject.
 */
function text(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  return scalar(value) ?? value;
}
