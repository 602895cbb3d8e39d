/**
 * `additionalEventData`: the fields given, then the context that would otherwise be lost
 * (message, severity, trace and span ids, the other attributes, and the full texts of fields
 * cut to their caps), kept under the schema's 28 kB cap.
 */
import { cutToJsonBytes } from './over-long-fields.js';
import type { AuditLogRecord } from './record.js';
import { scalar } from './record-fallbacks.js';
import { EVENT_DATA_FIELDS, isJsonObject, type JsonObject } from './schema.js';
import { definedFields, jsonShapedValue, setOwn, stringifySafe, toJsonSafe, utf8Bytes, wellFormed } from './serialize.js';

/** Serialized size of `additionalEventData` we fill context into; the schema's cap. */
export const ADDITIONAL_EVENT_DATA_MAX_BYTES = EVENT_DATA_FIELDS.additionalEventData.maxBytes ?? 28_000;

const AUDIT_PREFIX = 'audit.';

/** The key under which the full texts of cut fields are kept. */
export const TRUNCATED_KEY = 'truncated';

/**
 * `additionalEventData` with the record's context (`keys`: the attributes' own keys). Given
 * fields win on a name clash; a given value that is not an object is returned as it is, for the
 * validator to name.
 */
export function withContext(given: unknown, record: AuditLogRecord, attributes: Record<string, unknown>, keys: readonly string[], maxDepth: number, share: boolean): unknown {
  if (given !== undefined && given !== null && !isJsonObject(given)) return given;
  // With `share`, attribute values that need no rendering are kept as they are, and the strings'
  // well-formedness is left to the caller, who checks the serialized text (see `isJsonShaped`).
  const safe = share ? jsonShapedValue : toJsonSafe;
  const message = record.message === undefined ? undefined : safe(record.message, maxDepth);
  const severity = scalar(record.severity, share);
  const traceId = scalar(record.traceId, share);
  const spanId = scalar(record.spanId, share);
  let others: JsonObject | undefined;
  for (const key of keys) {
    if (key === 'audit' || key.startsWith(AUDIT_PREFIX)) continue;
    const value = safe(attributes[key], maxDepth);
    if (value !== undefined) setOwn((others ??= {}), share ? key : wellFormed(key), value);
  }
  if (given === undefined || given === null) {
    if (message === undefined && severity === undefined && traceId === undefined && spanId === undefined && others === undefined) return undefined;
    // Every member written, undefined when absent (JSON leaves it out): one shape for every event.
    return { message, severity, traceId, spanId, attributes: others };
  }
  const out = definedFields(given);
  addContext(out, 'message', message);
  addContext(out, 'severity', severity);
  addContext(out, 'traceId', traceId);
  addContext(out, 'spanId', spanId);
  addContext(out, 'attributes', others);
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Adds `value` under `key` unless it is undefined or the key is taken (given fields win). */
export function addContext(out: JsonObject, key: string, value: unknown): void {
  if (value !== undefined && !Object.hasOwn(out, key)) out[key] = value;
}

// Small fields first (the message only whole); then the full texts of cut fields, which belong to the schema's own fields.
const CONTEXT_KEYS = ['severity', 'traceId', 'spanId', 'message', TRUNCATED_KEY, 'attributes'] as const;
/** Room kept for the `contextOmitted` counter. */
const OMITTED_RESERVE = 32;
/** A cut full text shorter than this is not worth keeping. */
const SHORTEST_CUT_BYTES = 64;

/**
 * Keeps `additionalEventData` under its cap by leaving out context (not the given fields):
 * small fields first, then the full texts of cut fields (each cut further, with its marker, when
 * it does not fit whole), then the message and the attributes one by one while they fit.
 * `contextOmitted` counts what was left out. Given fields that alone exceed the cap stay, for the
 * validator to reject.
 */
export function fitAdditionalEventData(data: JsonObject, given: unknown): JsonObject {
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
    const value = Object.hasOwn(data, key) ? data[key] : undefined;
    if (givenKeys.has(key) || value === undefined) continue;
    const size = sizeOf(key, value);
    if (used + size <= budget) {
      out[key] = value;
      used += size;
    } else if (key === TRUNCATED_KEY && isJsonObject(value)) {
      const fitted = fitTruncated(value, budget - used);
      omitted += fitted.omitted;
      if (fitted.kept !== undefined) {
        out[key] = fitted.kept;
        used += sizeOf(key, fitted.kept);
      }
    } else if (key === 'attributes' && isJsonObject(value)) {
      const kept: JsonObject = {};
      const container = sizeOf(key, kept);
      used += container;
      const names = Object.keys(value);
      for (const name of names) {
        const itemSize = sizeOf(name, value[name]);
        if (used + itemSize <= budget) {
          setOwn(kept, name, value[name]);
          used += itemSize;
        } else omitted++;
      }
      if (Object.keys(kept).length > 0) out[key] = kept;
      else used -= container;
    } else omitted++;
  }
  if (omitted > 0) out.contextOmitted = omitted;
  return out;
}

/**
 * The full texts of cut fields in `room` bytes (as the member `"truncated":{…},`). Texts that fit
 * whole stay whole; the room left is shared evenly among the others, each cut to its share with
 * its marker; a share too small to be useful leaves that text out (counted).
 */
function fitTruncated(value: JsonObject, room: number): { kept: JsonObject | undefined; omitted: number } {
  const leaves: { parent: string | undefined; key: string; text: string; need: number; allow: number }[] = [];
  let fixed = jsonBytes(TRUNCATED_KEY) + 4;
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (typeof item === 'string') leaves.push({ parent: undefined, key, text: item, need: jsonBytes(item), allow: 0 });
    else if (isJsonObject(item)) {
      fixed += jsonBytes(key) + 4;
      for (const sub of Object.keys(item)) {
        const text = item[sub];
        if (typeof text === 'string') leaves.push({ parent: key, key: sub, text, need: jsonBytes(text), allow: 0 });
      }
    }
  }
  for (const leaf of leaves) fixed += jsonBytes(leaf.key) + 2;
  let left = room - fixed;
  const bySize = [...leaves].sort((a, b) => a.need - b.need);
  bySize.forEach((leaf, index) => {
    leaf.allow = Math.max(0, Math.min(leaf.need, Math.floor(left / (bySize.length - index))));
    left -= leaf.allow;
  });
  let kept: JsonObject | undefined;
  let omitted = 0;
  for (const leaf of leaves) {
    const text = leaf.allow >= leaf.need ? leaf.text : leaf.allow >= SHORTEST_CUT_BYTES ? cutToJsonBytes(leaf.text, leaf.allow) : undefined;
    if (text === undefined) {
      omitted++;
      continue;
    }
    kept ??= {};
    if (leaf.parent === undefined) kept[leaf.key] = text;
    else ((kept[leaf.parent] ??= {}) as JsonObject)[leaf.key] = text;
  }
  return { kept, omitted };
}

function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}
