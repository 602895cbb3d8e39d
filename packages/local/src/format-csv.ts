import type { JsonValue } from './sql-values.js';

/** One CSV record (RFC 4180): NULL is an empty field, structures are their JSON text, fields quoted when they must be. */
export function csvLine(values: readonly (JsonValue | string | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: JsonValue | string | null): string {
  if (value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
