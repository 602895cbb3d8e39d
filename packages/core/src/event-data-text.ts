import { SMALLEST_FIELD_CAP_BYTES, type FieldBytes } from './audit-event.js';
import { EVENT_DATA_FIELDS, type CappedField, type JsonObject } from './schema.js';
import { utf8Bytes } from './serialize.js';

/** `eventData` as written, with what is known of its size. */
export interface EventDataText {
  readonly json: string;
  /** UTF-8 size of `json`, when it is long enough for a field to be over its cap (else not measured). */
  readonly bytes: number | undefined;
  /**
   * For each capped field that could be over its cap by the size of the whole text: its UTF-8
   * size, or a bound of it no larger than the cap when the rest of the text shows that it cannot
   * be over; `undefined` when no field can be over its cap.
   */
  readonly fieldBytes: FieldBytes | undefined;
}

/** Smallest cap first: once measured, a small field leaves less room for the large ones. */
const MEASURE_ORDER: readonly CappedField[] = ['additionalEventData', 'requestParameters', 'responseElements'];

/**
 * Serializes `eventData` once, and serializes a capped field again on its own only when the
 * rest of the text leaves room for it to be over its cap. The text's UTF-8 size bounds every
 * field; what the other members certainly take (their names, and at least a byte per code unit
 * of their texts) narrows it. So events up to 28,000 bytes measure nothing, and an event of one
 * large field (a 100 kB `requestParameters`) measures only the small `additionalEventData`:
 * the cost per byte stays flat up to the service's limits.
 */
export function writeEventData(data: JsonObject): EventDataText {
  const json = JSON.stringify(data);
  // At most 3 UTF-8 bytes per UTF-16 code unit: a text this short cannot hold a field over its cap.
  if (json.length * 3 <= SMALLEST_FIELD_CAP_BYTES) return { json, bytes: undefined, fieldBytes: undefined };
  const bytes = utf8Bytes(json);
  return { json, bytes, fieldBytes: bytes <= SMALLEST_FIELD_CAP_BYTES ? undefined : boundCappedFields(data, bytes) };
}

function boundCappedFields(data: JsonObject, total: number): FieldBytes {
  // Bytes of the text certainly outside any one capped field: braces, commas, quoted names, and
  // the other members' values (a capped field counts 2, `{}`, until it is measured).
  let outside = 1;
  for (const key in data) {
    if (!Object.hasOwn(data, key)) continue;
    const value = data[key];
    if (value === undefined) continue;
    outside += key.length + 4;
    outside += typeof value === 'string' ? value.length + 2 : typeof value === 'object' && value !== null ? 2 : 1;
  }
  const sizes: FieldBytes = {};
  for (const field of MEASURE_ORDER) {
    const value = data[field];
    if (value === undefined) continue;
    const cap = EVENT_DATA_FIELDS[field].maxBytes as number;
    // The field's own `{}` is in `outside`; everything else is not in the field.
    const most = total - (outside - 2);
    if (most <= cap) {
      sizes[field] = most;
      continue;
    }
    const size = utf8Bytes(JSON.stringify(value) ?? 'null');
    sizes[field] = size;
    outside += size - 2;
  }
  return sizes;
}
