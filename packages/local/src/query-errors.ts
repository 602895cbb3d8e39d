/**
 * DuckDB's errors as the service words them: one line, no caret diagram, no "LINE 1:" excerpt,
 * the error class kept as a prefix ("Binder Error: …"), DuckDB's suggestion kept when it has
 * one. Statement errors become `InvalidQueryStatementException`; errors while running are a
 * FAILED query's `ErrorMessage`.
 */
import { invalidQuery, type AwsServiceError } from './aws-error.js';

/** Longest ErrorMessage the lake returns (the model's ErrorMessage has no bound; 1000 keeps a line readable). */
const MAX_MESSAGE = 1000;

export function oneLineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((line) => line.trim());
  const first = lines[0] ?? '';
  const hint = lines.find((line) => /^(Did you mean|Candidate (bindings|functions))/.test(line));
  const message = hint === undefined ? first : `${first} (${hint.replace(/:\s*$/, '')}${hintList(lines, hint)})`;
  const padded = message.length < 4 ? `${message}    `.slice(0, 4) : message;
  return padded.length > MAX_MESSAGE ? `${padded.slice(0, MAX_MESSAGE - 1)}…` : padded;
}

/** Candidate lists follow their heading on the next lines. */
function hintList(lines: string[], hint: string): string {
  if (!hint.endsWith(':')) return '';
  const items: string[] = [];
  for (let i = lines.indexOf(hint) + 1; i < lines.length && lines[i] !== '' && !lines[i]?.startsWith('LINE '); i++) items.push(lines[i] as string);
  return items.length === 0 ? '' : `: ${items.join(', ')}`;
}

/** A statement DuckDB refused to parse or bind. */
export function statementError(error: unknown): AwsServiceError {
  return invalidQuery(oneLineMessage(error));
}
