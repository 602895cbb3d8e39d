import { randomUUID } from 'node:crypto';
import type { AuditLogRecord } from './record.js';
import { compileRedactPath, redact, type RedactPath } from './redact.js';
import { EVENT_DATA_FIELDS, type AuditEventData, type JsonObject } from './schema.js';
import { DEFAULT_MAX_DEPTH, setOwn, stringifySafe, toJsonSafe, utf8Bytes, wellFormed } from './serialize.js';
import { ConfigurationError } from './errors.js';

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
}

export const DEFAULT_USER_IDENTITY_TYPE = 'CustomUserIdentity';
export const DEFAULT_EVENT_VERSION = '1.0';
/** Serialized size of `additionalEventData` we fill context into; the schema's cap. */
const ADDITIONAL_EVENT_DATA_MAX_BYTES = EVENT_DATA_FIELDS.additionalEventData.maxBytes ?? 28_000;

/** Maps one record; `undefined` when the record is not an audit event. */
export type RecordMapper = (record: AuditLogRecord) => AuditEventData | undefined;

/** A mapped record with its serialized text, which the sink sends as `eventData`. */
export interface EncodedRecord {
  data: AuditEventData;
  json: string;
  /** The event's time in epoch milliseconds (finer than `eventTime`'s seconds), for destinations that index by it. */
  timeMs: number;
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
  const config: MapperConfig = {
    eventSource: options.eventSource,
    userIdentityType: options.userIdentityType ?? DEFAULT_USER_IDENTITY_TYPE,
    eventVersion: options.eventVersion ?? DEFAULT_EVENT_VERSION,
    recipientAccountId: options.recipientAccountId,
    redact: paths,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    now: options.now ?? Date.now,
  };
  return (record) => encodeRecord(record, config);
}

/** Maps one record with the given options (compiled on each call; the sink compiles once). */
export function mapAuditRecord(record: AuditLogRecord, options?: MapAuditRecordOptions): AuditEventData | undefined {
  return createRecordMapper(options)(record);
}

interface MapperConfig {
  eventSource: string | undefined;
  userIdentityType: string;
  eventVersion: string;
  recipientAccountId: string | undefined;
  redact: readonly RedactPath[];
  maxDepth: number;
  now: () => number;
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
  if (identity === undefined || identity === null) {
    userIdentity = { type: config.userIdentityType, principalId: principalId() };
  } else if (isJsonObject(identity)) {
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
  put('additionalEventData', withContext(audit.additionalEventData, record, attributes, config.maxDepth));
  // Keys outside the schema stay, so that validation names them instead of losing them.
  for (const key of Object.keys(audit)) if (!Object.hasOwn(EVENT_DATA_FIELDS, key)) put(key, audit[key]);

  if (config.redact.length > 0) redact(data, config.redact);
  let json = JSON.stringify(data);
  // Fitting the context is only worth a look when the whole text could exceed the cap.
  const extra = data.additionalEventData;
  if (json.length * 3 > ADDITIONAL_EVENT_DATA_MAX_BYTES && isJsonObject(extra) && utf8Bytes(JSON.stringify(extra)) > ADDITIONAL_EVENT_DATA_MAX_BYTES) {
    data.additionalEventData = fitAdditionalEventData(extra, audit.additionalEventData);
    json = JSON.stringify(data);
  }
  return { data: data as unknown as AuditEventData, json, timeMs: time.ms };
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

let lastSecond = Number.NaN;
let lastSecondText = '';

/** `YYYY-MM-DDTHH:mm:ssZ` of an epoch-milliseconds time, cached per second (bursts share seconds). */
export function formatEventTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastSecond) {
    lastSecondText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastSecondText;
}

/** ISO-8601 date-times as loggers write them; a missing zone means UTC. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * The event time: `audit.eventTime` if given (normalized to UTC when it parses; left as given,
 * for the validator to name, when it does not), else the record's time, else now.
 */
function eventTime(given: unknown, recordTime: Date | number | undefined, now: () => number): { text: unknown; ms: number } {
  if (given !== undefined && given !== null) {
    const ms = toEpochMs(given);
    return ms === undefined ? { text: given, ms: now() } : { text: formatEventTime(ms), ms };
  }
  const ms = toEpochMs(recordTime) ?? now();
  return { text: formatEventTime(ms), ms };
}

/** Epoch milliseconds of a `Date`, a number or an ISO-8601 text (read strictly); `undefined` for anything else. */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? value : undefined;
  if (value instanceof Date) return toEpochMs(value.getTime());
  return typeof value === 'string' ? parseIsoTime(value) : undefined;
}

/**
 * A strict reading: `Date.parse` rolls 2026-02-30 over to March 2 and 24:00 to the next day,
 * which would silently move an audit event in time; here such values do not parse.
 */
function parseIsoTime(text: string): number | undefined {
  const match = ISO_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const [sign, offsetHours, offsetMinutes] = [match[7], Number(match[8] ?? 0), Number(match[9] ?? 0)];
  const date = new Date(Date.UTC(2000, (month as number) - 1, day, hour, minute, second));
  date.setUTCFullYear(year as number);
  const exact =
    date.getUTCFullYear() === year && date.getUTCMonth() === (month as number) - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second && offsetHours <= 23 && offsetMinutes <= 59;
  if (!exact) return undefined;
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (sign === '-' ? -offsetMs : sign === '+' ? offsetMs : 0);
}

/**
 * `additionalEventData`: the given fields, then the context that would otherwise be lost
 * (message, severity, trace and span ids, the other attributes). Given fields win on a name clash.
 */
function withContext(given: unknown, record: AuditLogRecord, attributes: Record<string, unknown>, maxDepth: number): unknown {
  if (given !== undefined && given !== null && !isJsonObject(given)) return given;
  const out: JsonObject = { ...(given as JsonObject | undefined) };
  addContext(out, 'message', record.message === undefined ? undefined : toJsonSafe(record.message, maxDepth));
  addContext(out, 'severity', scalar(record.severity));
  addContext(out, 'traceId', scalar(record.traceId));
  addContext(out, 'spanId', scalar(record.spanId));
  let others: JsonObject | undefined;
  for (const key of Object.keys(attributes)) {
    if (key === 'audit' || key.startsWith(AUDIT_PREFIX)) continue;
    const value = toJsonSafe(attributes[key], maxDepth);
    if (value !== undefined) setOwn((others ??= {}), wellFormed(key), value);
  }
  addContext(out, 'attributes', others);
  return Object.keys(out).length === 0 ? undefined : out;
}

function addContext(out: JsonObject, key: string, value: unknown): void {
  if (value !== undefined && !Object.hasOwn(out, key)) out[key] = value;
}

const CONTEXT_KEYS = ['severity', 'traceId', 'spanId', 'message', 'attributes'] as const;
/** Room kept for the `contextOmitted` counter. */
const OMITTED_RESERVE = 32;

/**
 * Keeps `additionalEventData` under its cap by leaving out context (not the given fields):
 * small fields first, then attributes one by one while they fit. `contextOmitted` counts what
 * was left out. Given fields that alone exceed the cap stay, for the validator to reject.
 */
function fitAdditionalEventData(data: JsonObject, given: unknown): JsonObject {
  const givenKeys = isJsonObject(given) ? new Set(Object.keys(given)) : new Set<string>();
  const out: JsonObject = {};
  let used = 2;
  const sizeOf = (key: string, value: unknown) => utf8Bytes(JSON.stringify(key)) + 1 + utf8Bytes(stringifySafe(value)) + 1;
  for (const key of Object.keys(data)) {
    if (!givenKeys.has(key)) continue;
    out[key] = data[key];
    used += sizeOf(key, data[key]);
  }
  const budget = ADDITIONAL_EVENT_DATA_MAX_BYTES - OMITTED_RESERVE;
  let omitted = 0;
  for (const key of CONTEXT_KEYS) {
    if (givenKeys.has(key) || !Object.hasOwn(data, key)) continue;
    const value = data[key];
    const size = sizeOf(key, value);
    if (used + size <= budget) {
      out[key] = value;
      used += size;
    } else if (key === 'attributes' && isJsonObject(value)) {
      const kept: JsonObject = {};
      used += sizeOf(key, kept);
      for (const name of Object.keys(value)) {
        const itemSize = sizeOf(name, value[name]);
        if (used + itemSize <= budget) {
          kept[name] = value[name];
          used += itemSize;
        } else omitted++;
      }
      out[key] = kept;
    } else omitted++;
  }
  if (omitted > 0) out.contextOmitted = omitted;
  return out;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
