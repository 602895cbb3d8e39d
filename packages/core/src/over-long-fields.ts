/**
 * Over-long text fields are kept, not dropped: a field over its schema cap is cut to the cap
 * with a visible marker, `…[truncated 1234 chars]`, and its full text is kept in
 * `additionalEventData.truncated`, shaped like `eventData` (`truncated.errorMessage`,
 * `truncated.userIdentity.principalId`). An audit record with a cut message beats no record:
 * the failed operations, whose error messages run long, are the events that matter most.
 *
 * Object fields over their byte cap (`requestParameters`, `responseElements` 100 kB,
 * `additionalEventData` 28 kB as given) are not cut: see `validate.ts`.
 */
import { EVENT_DATA_FIELDS, USER_IDENTITY_FIELDS, type JsonObject } from './schema.js';

/**
 * What to do with a text field given in `audit` that is over its cap: `'truncate'` it (marker,
 * full text in `additionalEventData.truncated`), or `'deadLetter'` the event with `FieldTooLong`.
 * Fields the mapper fills from the log's context are truncated in either mode.
 */
export type OverLongFields = 'truncate' | 'deadLetter';

export const OVER_LONG_FIELDS_MODES: readonly OverLongFields[] = ['truncate', 'deadLetter'];

interface TextField {
  /** The key of `eventData` holding it, and the key below that for `userIdentity`'s fields. */
  readonly key: string;
  readonly subKey: string | undefined;
  readonly maxLength: number;
}

const TEXT_FIELDS: readonly TextField[] = [
  ...Object.entries(EVENT_DATA_FIELDS).flatMap(([key, rule]) => (rule.maxLength === undefined ? [] : [{ key, subKey: undefined, maxLength: rule.maxLength }])),
  ...Object.entries(USER_IDENTITY_FIELDS).flatMap(([subKey, rule]) => (rule.maxLength === undefined ? [] : [{ key: 'userIdentity', subKey, maxLength: rule.maxLength }])),
];

/** No text field is over its cap unless it is longer than this. */
const SHORTEST_TEXT_CAP = Math.min(...TEXT_FIELDS.map((field) => field.maxLength));

/**
 * Whether an object holds a string longer than `length`: one for-in pass, whose reads V8 makes
 * field loads, where reading the nine text fields by name from a list is a lookup each.
 */
function holdsTextOver(object: unknown, length: number): boolean {
  if (object === null || typeof object !== 'object') return false;
  for (const key in object) {
    const value = (object as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.length > length) return true;
  }
  return false;
}

/** The marker that ends a cut text. */
export function truncationMarker(removed: number): string {
  return `…[truncated ${removed} chars]`;
}

/** The first `keep` code units of `text` (one fewer rather than half a surrogate pair), then the marker. */
export function cutText(text: string, keep: number): string {
  let kept = Math.max(0, Math.min(keep, text.length));
  const last = text.charCodeAt(kept - 1);
  if (kept > 0 && kept < text.length && last >= 0xd800 && last <= 0xdbff) kept--;
  return `${text.slice(0, kept)}${truncationMarker(text.length - kept)}`;
}

/** `text` cut to at most `maxLength` code units, marker included. */
export function truncateText(text: string, maxLength: number): string {
  // The marker for all of `text` is the longest it can be; keeping more shortens the count, which may make room for one more.
  let keep = maxLength - truncationMarker(text.length).length;
  while (cutText(text, keep + 1).length <= maxLength) keep++;
  return cutText(text, keep);
}

/**
 * The longest cut of `text` whose JSON string is at most `maxBytes` UTF-8 bytes, or `undefined`
 * when not even the marker fits. JSON escapes make the size of a prefix uneven: searched, not computed.
 */
export function cutToJsonBytes(text: string, maxBytes: number): string | undefined {
  const size = (keep: number) => Buffer.byteLength(JSON.stringify(cutText(text, keep)), 'utf8');
  if (size(0) > maxBytes) return undefined;
  let low = 0;
  let high = Math.min(text.length, maxBytes);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (size(middle) <= maxBytes) low = middle;
    else high = middle - 1;
  }
  return cutText(text, low);
}

/** Bits of `identityGiven`: which of `userIdentity`'s texts were given in `audit`. */
export const IDENTITY_GIVEN = Object.freeze({ type: 1, principalId: 2 } as Record<string, number> & { type: number; principalId: number });

/**
 * Cuts, in place, every text field of `data` that is over its cap; returns their full texts,
 * shaped like `eventData`, and how many were cut, or `undefined` when none was. In
 * `'deadLetter'` mode, fields given in `audit` (`identityGiven` for `userIdentity`'s, which the
 * mapper fills in place) are left for the validator. A plain loop over nine lengths, without
 * allocation: it runs for every event.
 */
export function truncateOverLongFields(
  data: JsonObject,
  mode: OverLongFields,
  audit: JsonObject,
  identityGiven: number,
): { full: JsonObject; count: number } | undefined {
  if (!holdsTextOver(data, SHORTEST_TEXT_CAP) && !holdsTextOver(data.userIdentity, SHORTEST_TEXT_CAP)) return undefined;
  let full: JsonObject | undefined;
  let count = 0;
  for (const field of TEXT_FIELDS) {
    const holder = field.subKey === undefined ? data : data[field.key];
    if (holder === null || typeof holder !== 'object') continue;
    const name = field.subKey ?? field.key;
    const value = (holder as JsonObject)[name];
    if (typeof value !== 'string' || value.length <= field.maxLength) continue;
    if (mode === 'deadLetter' && (field.subKey === undefined ? audit[field.key] !== undefined && audit[field.key] !== null : (identityGiven & (IDENTITY_GIVEN[field.subKey] ?? 0)) !== 0)) continue;
    (holder as JsonObject)[name] = truncateText(value, field.maxLength);
    full ??= {};
    if (field.subKey === undefined) full[field.key] = value;
    else ((full[field.key] ??= {}) as JsonObject)[field.subKey] = value;
    count++;
  }
  return full && { full, count };
}
