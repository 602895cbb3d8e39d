import { randomBytes, randomFillSync } from 'node:crypto';
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

/**
 * UTF-8 sizes of the capped object fields of one `eventData`; for a field that cannot be over
 * its cap, a bound of its size no larger than the cap may stand in for the size.
 */
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

/**
 * Whether `id` was made by {@link newAuditEventId} in this process: two such ids are never
 * equal, and none equals an id made elsewhere (the prefix is 132 random bits).
 */
export function isOwnAuditEventId(id: string): boolean {
  return id.length > ID_PREFIX.length && id.charCodeAt(ID_PREFIX.length) === 0x2d && id.startsWith(ID_PREFIX);
}

// UIDs: random (version 4) UUIDs written from a batch of random bytes into one reused buffer, so
// that each costs one string; crypto.randomUUID builds each from pieces, which shows in GC.
const UUID_BATCH = 256;
const uuidRandom = Buffer.alloc(16 * UUID_BATCH);
let uuidNext = uuidRandom.length;
const uuidText = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where the two hex digits of each of the 16 bytes go in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const UUID_DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** A new random UUID (RFC 9562 version 4), as `crypto.randomUUID()` writes it. */
export function newUuid(): string {
  if (uuidNext === uuidRandom.length) {
    randomFillSync(uuidRandom);
    uuidNext = 0;
  }
  const at = uuidNext;
  uuidNext += 16;
  for (let i = 0; i < 16; i++) {
    let byte = uuidRandom[at + i] as number;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    const to = UUID_DIGIT_AT[i] as number;
    uuidText[to] = HEX_DIGITS[byte >> 4] as number;
    uuidText[to + 1] = HEX_DIGITS[byte & 0x0f] as number;
  }
  return uuidText.toString('latin1', 0, 36);
}
