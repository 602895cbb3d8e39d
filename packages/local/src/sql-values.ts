/**
 * DuckDB values as the lake hands them out: JSON-friendly for `query()` (BigInt as a number
 * when safe, maps as objects, timestamps as text), and as strings for GetQueryResults, where
 * every value is a string, rendered the way Trino (CloudTrail Lake's engine) prints them.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { AwsServiceError } from './aws-error.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toJsonValue(value: DuckDBValue): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    default:
      break;
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return timestampText(value);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJsonValue);
  if (value instanceof DuckDBStructValue) {
    const object: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value.entries)) object[key] = toJsonValue(item);
    return object;
  }
  if (value instanceof DuckDBMapValue) {
    const object: Record<string, JsonValue> = {};
    for (const entry of value.entries) object[String(toJsonValue(entry.key))] = toJsonValue(entry.value);
    return object;
  }
  if (value instanceof DuckDBUnionValue) return toJsonValue(value.value);
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  return String(value);
}

/** A value as GetQueryResults carries it: a string, or null for SQL NULL. */
export function toResultString(value: DuckDBValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return trinoText(value);
}

function trinoText(value: DuckDBValue): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return timestampText(value);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return `[${value.items.map(trinoText).join(', ')}]`;
  if (value instanceof DuckDBStructValue) return `{${Object.entries(value.entries).map(([k, v]) => `${k}=${trinoText(v)}`).join(', ')}}`;
  if (value instanceof DuckDBMapValue) return `{${value.entries.map((e) => `${trinoText(e.key)}=${trinoText(e.value)}`).join(', ')}}`;
  if (value instanceof DuckDBUnionValue) return trinoText(value.value);
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  return String(value);
}

/** `YYYY-MM-DD HH:MM:SS.mmm`, Trino's rendering of a timestamp(3). */
function timestampText(value: DuckDBTimestampValue | DuckDBTimestampTZValue): string {
  const ms = Number(value.micros / 1000n);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return value.toString();
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * Rows of a result as `format` wants them (see {@link toJsonValue}, {@link toResultString}).
 * Strings count against `budget` (UTF-16 bytes, 16 per value besides): over `maxBytes` is the
 * service's `QueryResultsTooLarge`.
 */
export function convertRows(raw: DuckDBValue[][], format: 'json' | 'strings', budget: { bytes: number; maxBytes: number | undefined }): (JsonValue | string | null)[][] {
  if (format === 'json') return raw.map((row) => row.map(toJsonValue));
  return raw.map((row) =>
    row.map((value) => {
      const text = toResultString(value);
      budget.bytes += 16 + (text?.length ?? 0) * 2;
      if (budget.maxBytes !== undefined && budget.bytes > budget.maxBytes) {
        throw new AwsServiceError('QueryResultsTooLarge', `The query results are larger than the lake keeps (${budget.maxBytes} bytes, maxQueryResultsBytes); narrow the query down or add a LIMIT.`);
      }
      return text;
    }),
  );
}
