import type { JsonValue } from './sql-values.js';

/** Widest a column gets before its values are cut with an ellipsis. */
const MAX_COLUMN_WIDTH = 60;

/** Rows as a plain-text table with a header rule, for a terminal. */
export function formatTable(columns: readonly string[], rows: readonly JsonValue[][]): string {
  const cells = rows.map((row) => row.map(cellText));
  const widths = columns.map((column, i) => Math.min(MAX_COLUMN_WIDTH, Math.max(column.length, ...cells.map((row) => (row[i] ?? '').length))));
  const line = (values: readonly string[]) => values.map((value, i) => fit(value, widths[i] as number)).join(' | ').trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const row of cells) out.push(line(row));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

function cellText(value: JsonValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return value.replace(/\s+/g, ' ');
  return JSON.stringify(value);
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}
