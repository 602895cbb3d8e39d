import { randomBytes } from 'node:crypto';
import { CAPPED_FIELDS, EVENT_DATA_FIELDS, type CappedField } from './schema.js';
import { utf8Bytes } from './serialize.js';

/** One audit event as CloudTrail Lake's `AuditEvent` shape has it, and as a dead letter holds it whatever the destination. */
export interface AuditEvent {
  /** 1–128 characters of `[-_A-Za-z0-9]`; auditlake generates it once and keeps it across retries, spooling and replays. */
  id: string;
  /** The integration-schema event, serialized as a JSON string. */
  eventData: string;
  /** base64(SHA-256(UTF-8 bytes of `eventData`)), when the destination sends one. */
  eventDataChecksum?: string;
}

/** UTF-8 sizes of the capped object fields of one `eventData`. */
export type FieldBytes = Partial<Record<CappedField, number>>;

/** The smallest cap of a capped field (28,000 bytes): an event whose text is smaller cannot break any cap. */
export const SMALLEST_FIELD_CAP_BYTES = Math.min(...CAPPED_FIELDS.map((field) => EVENT_DATA_FIELDS[field].maxBytes ?? Infinity));

/**
 * UTF-8 sizes of the capped fields present in `data`, except those whose cap is at least
 * `totalBytes` (the size of the whole text, when known): no part can be larger than the whole.
 */
export function measureCappedFields(data: Record<string, unknown>, totalBytes = Number.POSITIVE_INFINITY): FieldBytes {
  const fieldBytes: FieldBytes = {};
  for (const field of CAPPED_FIELDS) {
    if ((EVENT_DATA_FIELDS[field].maxBytes ?? 0) >= totalBytes) continue;
    const text = data[field] === undefined ? undefined : JSON.stringify(data[field]);
    if (text !== undefined) fieldBytes[field] = utf8Bytes(text);
  }
  return fieldBytes;
}

// Event ids: 22 random base64url characters (132 bits) fixed per process, then a counter.
// Unique without a random draw per event; `[-_A-Za-z0-9]`, at most 34 characters.
const ID_PREFIX = randomBytes(17).toString('base64url').slice(0, 22);
let idCounter = 0;

/** A new `AuditEvent.id`: unique, and within the `Uuid` shape (1–128 of `[-_A-Za-z0-9]`). */
export function newAuditEventId(): string {
  return `${ID_PREFIX}-${(idCounter++).toString(36)}`;
}
