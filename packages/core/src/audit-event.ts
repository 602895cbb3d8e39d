import { hash, randomBytes } from 'node:crypto';
import { CAPPED_FIELDS, EVENT_DATA_FIELDS, type CappedField } from './schema.js';
import { utf8Bytes } from './serialize.js';

/** One entry of a PutAuditEvents request, as on the wire. */
export interface AuditEvent {
  /** 1–128 characters of `[-_A-Za-z0-9]`, unique within a request; auditlake keeps it across retries. */
  id: string;
  /** The integration-schema event, serialized as a JSON string. */
  eventData: string;
  /** base64(SHA-256(UTF-8 bytes of `eventData`)). */
  eventDataChecksum?: string;
}

/** UTF-8 sizes of the capped object fields of one `eventData`. */
export type FieldBytes = Partial<Record<CappedField, number>>;

/** The smallest cap of a capped field (28,000 bytes): an event whose text is smaller cannot break any cap. */
export const SMALLEST_FIELD_CAP_BYTES = Math.min(...CAPPED_FIELDS.map((field) => EVENT_DATA_FIELDS[field].maxBytes ?? Infinity));

/**
 * Serializes a JSON-safe `eventData` object. The capped fields are measured only when the
 * event is large enough for a cap to matter: a UTF-16 code unit is at most 3 UTF-8 bytes,
 * so text of `length × 3 ≤ 28,000` cannot hold a field over its cap.
 */
export function encodeEventData(data: Record<string, unknown>): { json: string; fieldBytes: FieldBytes } {
  const json = JSON.stringify(data);
  return { json, fieldBytes: cappedFieldBytes(data, json) ?? {} };
}

/**
 * Sizes of the capped fields of `data` whose text is `json`, or `undefined` when the text is
 * too short for any field to reach its cap (then nothing needs measuring).
 */
export function cappedFieldBytes(data: Record<string, unknown>, json: string): FieldBytes | undefined {
  return json.length * 3 <= SMALLEST_FIELD_CAP_BYTES ? undefined : measureCappedFields(data);
}

/** UTF-8 sizes of the capped fields present in `data`. */
export function measureCappedFields(data: Record<string, unknown>): FieldBytes {
  const fieldBytes: FieldBytes = {};
  for (const field of CAPPED_FIELDS) {
    const text = data[field] === undefined ? undefined : JSON.stringify(data[field]);
    if (text !== undefined) fieldBytes[field] = utf8Bytes(text);
  }
  return fieldBytes;
}

/** `eventDataChecksum`: base64 of the SHA-256 of the UTF-8 bytes of `eventData`. */
export function eventDataChecksum(eventData: string): string {
  return hash('sha256', eventData, 'base64');
}

// Event ids: 22 random base64url characters (132 bits) fixed per process, then a counter.
// Unique without a random draw per event; `[-_A-Za-z0-9]`, at most 34 characters.
const ID_PREFIX = randomBytes(17).toString('base64url').slice(0, 22);
let idCounter = 0;

/** A new `AuditEvent.id`: unique, and within the `Uuid` shape (1–128 of `[-_A-Za-z0-9]`). */
export function newAuditEventId(): string {
  return `${ID_PREFIX}-${(idCounter++).toString(36)}`;
}

/**
 * The entry as it appears in the request body: exactly `JSON.stringify(event)` for an event
 * built as `{ id, eventData, eventDataChecksum? }`. Escaping `eventData` is the costliest step
 * after serializing it, so the sink does it once, when the event is accepted.
 */
export function auditEventEntry(event: AuditEvent): string {
  const checksum = event.eventDataChecksum === undefined ? '' : `,"eventDataChecksum":${JSON.stringify(event.eventDataChecksum)}`;
  return `{"id":${JSON.stringify(event.id)},"eventData":${JSON.stringify(event.eventData)}${checksum}}`;
}

/** UTF-8 size of one entry in the request body, escaping of `eventData` included. */
export function auditEventEntryBytes(event: AuditEvent): number {
  return utf8Bytes(auditEventEntry(event));
}

const ENVELOPE_HEAD = '{"auditEvents":[';
const ENVELOPE_TAIL = ']}';
/** Bytes of `{"auditEvents":[]}`. */
export const REQUEST_ENVELOPE_BYTES = ENVELOPE_HEAD.length + ENVELOPE_TAIL.length;

/** The request body from entries built by {@link auditEventEntry}. */
export function requestBody(entries: readonly string[]): string {
  return `${ENVELOPE_HEAD}${entries.join(',')}${ENVELOPE_TAIL}`;
}

/**
 * The same body as UTF-8 bytes, written entry by entry into one buffer of the exact size
 * (`bytes` of each entry is its UTF-8 size): no joined string to build and copy again.
 */
export function requestBodyBuffer(entries: readonly { entry: string; bytes: number }[]): Buffer {
  let total = requestBodyBytes(0, entries.length);
  for (const item of entries) total += item.bytes;
  const body = Buffer.allocUnsafe(total);
  let at = body.write(ENVELOPE_HEAD, 0, 'latin1');
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) body[at++] = 0x2c; // ,
    at += body.write((entries[i] as { entry: string }).entry, at, 'utf8');
  }
  body.write(ENVELOPE_TAIL, at, 'latin1');
  return body;
}

/** UTF-8 size of the request body holding `count` entries whose sizes add up to `entryBytes`. */
export function requestBodyBytes(entryBytes: number, count: number): number {
  return REQUEST_ENVELOPE_BYTES + entryBytes + Math.max(0, count - 1);
}
