/**
 * One line per request, written when its response ends (or its connection is dropped):
 * `<time> <operation> <status> [<error>] [events=<n> [failed=<n>]] <ms>ms`. Nothing a client
 * sends is echoed unfiltered, and never a header.
 */

export interface RequestLogEntry {
  /** The operation, or `<METHOD> <path>` for what is not one. */
  operation: string;
  /** HTTP status; undefined when the connection was dropped without an answer. */
  status: number | undefined;
  errorCode?: string;
  /** PutAuditEvents: events in the request, and how many were answered in `failed[]`. */
  events?: number;
  failed?: number;
  durationMs: number;
  time: number;
}

export type RequestLogSink = (line: string) => void;

export function formatRequestLogLine(entry: RequestLogEntry): string {
  const parts = [new Date(entry.time).toISOString(), entry.operation, entry.status === undefined ? 'dropped' : String(entry.status)];
  if (entry.errorCode !== undefined) parts.push(entry.errorCode);
  if (entry.events !== undefined) parts.push(`events=${entry.events}`);
  if (entry.failed !== undefined && entry.failed > 0) parts.push(`failed=${entry.failed}`);
  parts.push(`${entry.durationMs.toFixed(entry.durationMs < 10 ? 1 : 0)}ms`);
  return parts.join(' ');
}

/** What a client sent, fit for one field of a line: at most 100 characters, control characters and spaces replaced. */
export function printable(text: string): string {
  const cut = text.length > 100 ? `${text.slice(0, 99)}…` : text;
  return cut.replace(/[\s\p{Cc}]/gu, '?');
}
