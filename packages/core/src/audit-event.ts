import { createHash, randomUUID } from 'node:crypto';
import { CAPPED_FIELDS, type CappedField } from './schema.js';
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

/**
 * Serializes a JSON-safe `eventData` object field by field, so that the capped fields are
 * measured from the very text that is sent rather than stringified a second time.
 */
export function encodeEventData(data: Record<string, unknown>): { json: string; fieldBytes: FieldBytes } {
  const fieldBytes: FieldBytes = {};
  let json = '{';
  for (const key of Object.keys(data)) {
    const value = JSON.stringify(data[key]);
    if (value === undefined) continue;
    if (CAPPED_FIELDS.includes(key as CappedField)) fieldBytes[key as CappedField] = utf8Bytes(value);
    json += `${json.length === 1 ? '' : ','}${JSON.stringify(key)}:${value}`;
  }
  return { json: `${json}}`, fieldBytes };
}

/** `eventDataChecksum`: base64 of the SHA-256 of the UTF-8 bytes of `eventData`. */
export function eventDataChecksum(eventData: string): string {
  return createHash('sha256').update(eventData, 'utf8').digest('base64');
}

/** A new `AuditEvent.id` (a v4 UUID, which fits the `Uuid` shape). */
export function newAuditEventId(): string {
  return randomUUID();
}

// Exact byte arithmetic of `JSON.stringify({ auditEvents: [...] })`, measured, not hand-counted.
const ENTRY_BYTES = utf8Bytes(JSON.stringify({ id: '', eventData: '' })) - 2;
const ENTRY_WITH_CHECKSUM_BYTES = utf8Bytes(JSON.stringify({ id: '', eventData: '', eventDataChecksum: '' })) - 2;
/** Bytes of `{"auditEvents":[]}`. */
export const REQUEST_ENVELOPE_BYTES = utf8Bytes(JSON.stringify({ auditEvents: [] }));

/** UTF-8 size of one entry in the request body, escaping of `eventData` included. */
export function auditEventEntryBytes(event: AuditEvent): number {
  const escaped = utf8Bytes(JSON.stringify(event.eventData));
  const id = utf8Bytes(JSON.stringify(event.id)) - 2;
  return event.eventDataChecksum === undefined
    ? ENTRY_BYTES + id + escaped
    : ENTRY_WITH_CHECKSUM_BYTES + id + escaped + utf8Bytes(JSON.stringify(event.eventDataChecksum)) - 2;
}

/** UTF-8 size of the request body holding `count` entries whose sizes add up to `entryBytes`. */
export function requestBodyBytes(entryBytes: number, count: number): number {
  return REQUEST_ENVELOPE_BYTES + entryBytes + Math.max(0, count - 1);
}
