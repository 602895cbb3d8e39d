import { measureCappedFields, SMALLEST_FIELD_CAP_BYTES, type FieldBytes } from './audit-event.js';
import type { JsonObject } from './schema.js';
import { utf8Bytes } from './serialize.js';

/** `eventData` as written, with what is known of its size. */
export interface EventDataText {
  readonly json: string;
  /** UTF-8 size of `json`, when it is long enough for a field to be over its cap (else not measured). */
  readonly bytes: number | undefined;
  /** UTF-8 sizes of the capped fields whose cap is below `bytes`; `undefined` when no field can be over its cap. */
  readonly fieldBytes: FieldBytes | undefined;
}

/**
 * Serializes `eventData` once. A field's size is measured (serialized on its own) only when the
 * whole text is larger than that field's cap, so events up to 28,000 UTF-8 bytes measure nothing
 * and events up to 100,000 bytes only `additionalEventData`, which is mostly context and small.
 */
export function writeEventData(data: JsonObject): EventDataText {
  const json = JSON.stringify(data);
  // At most 3 UTF-8 bytes per UTF-16 code unit: a text this short cannot hold a field over its cap.
  if (json.length * 3 <= SMALLEST_FIELD_CAP_BYTES) return { json, bytes: undefined, fieldBytes: undefined };
  const bytes = utf8Bytes(json);
  return { json, bytes, fieldBytes: bytes <= SMALLEST_FIELD_CAP_BYTES ? undefined : measureCappedFields(data, bytes) };
}
