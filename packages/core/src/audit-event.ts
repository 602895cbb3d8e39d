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

// UIDs: random (version 4) UUIDs, made 256 at a time: one draw of random bytes, written as text
// into one buffer, read as one string; each UID is then a slice of it (V8 shares the characters),
// where crypto.randomUUID, or a string per UUID read from a buffer, costs 50-70 % more per UID.
const UUID_BATCH = 256;
const UUID_LENGTH = 36;
const uuidRandom = Buffer.alloc(16 * UUID_BATCH);
const uuidBytes = Buffer.alloc(UUID_LENGTH * UUID_BATCH);
let uuidTexts = '';
let uuidNext = UUID_BATCH;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where the two hex digits of each of the 16 bytes go in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const UUID_DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const UUID_DASH_AT = [8, 13, 18, 23];

/** A new random UUID (RFC 9562 version 4), as `crypto.randomUUID()` writes it. */
export function newUuid(): string {
  if (uuidNext === UUID_BATCH) writeUuids();
  const at = UUID_LENGTH * uuidNext++;
  return uuidTexts.slice(at, at + UUID_LENGTH);
}

function writeUuids(): void {
  randomFillSync(uuidRandom);
  for (let n = 0; n < UUID_BATCH; n++) {
    const from = 16 * n;
    const to = UUID_LENGTH * n;
    for (let i = 0; i < 16; i++) {
      let byte = uuidRandom[from + i] as number;
      if (i === 6) byte = (byte & 0x0f) | 0x40;
      else if (i === 8) byte = (byte & 0x3f) | 0x80;
      const digit = to + (UUID_DIGIT_AT[i] as number);
      uuidBytes[digit] = HEX_DIGITS[byte >> 4] as number;
      uuidBytes[digit + 1] = HEX_DIGITS[byte & 0x0f] as number;
    }
    for (const dash of UUID_DASH_AT) uuidBytes[to + dash] = 0x2d;
  }
  uuidTexts = uuidBytes.toString('latin1');
  uuidNext = 0;
}
