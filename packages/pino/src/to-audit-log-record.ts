import type { AuditLogRecord } from '@auditlake/core';
import { toJsonSafe } from '@auditlake/core';

/** A parsed pino line. */
export type PinoLine = Record<string, unknown>;

/** What pino tells its transports (`expectPinoConfig`); missing pieces fall back to pino's defaults. */
export interface PinoConfig {
  levels?: { labels?: Record<string, string> } | undefined;
  messageKey?: string | undefined;
  errorKey?: string | undefined;
}

/**
 * A pino line as core's neutral record: `time`, the level's label (custom levels too), the
 * message from pino's `messageKey`, `name` as the resource's `service.name` (core's
 * `eventSource` fallback), and every other key (`pid`, `hostname`, bindings, `audit`, `err`)
 * as an attribute. An `err` object also feeds core's `error.type` / `exception.message`
 * fallbacks when those attributes are absent.
 */
export function toAuditLogRecord(line: PinoLine, config: PinoConfig = {}): AuditLogRecord {
  const messageKey = config.messageKey ?? 'msg';
  const errorKey = config.errorKey ?? 'err';
  // Spread and delete, rather than assign key by key: a parsed "__proto__" key stays a plain key.
  const attributes: Record<string, unknown> = { ...line };
  const record: AuditLogRecord = { attributes };

  const time = epochMs(line.time);
  if (time !== undefined) {
    record.time = time;
    delete attributes.time;
  }
  if (line.level !== undefined) {
    const label = typeof line.level === 'number' ? config.levels?.labels?.[line.level] : undefined;
    record.severity = label ?? String(line.level);
    delete attributes.level;
  }
  if (line[messageKey] !== undefined) {
    const message = line[messageKey];
    record.message = typeof message === 'string' ? message : JSON.stringify(toJsonSafe(message));
    delete attributes[messageKey];
  }
  if (typeof line.name === 'string') {
    record.resource = { 'service.name': line.name };
    delete attributes.name;
  }
  const error = line[errorKey];
  if (error !== null && typeof error === 'object') {
    const { type, message } = error as { type?: unknown; message?: unknown };
    if (attributes['error.type'] === undefined && typeof type === 'string') attributes['error.type'] = type;
    if (attributes['exception.message'] === undefined && typeof message === 'string') attributes['exception.message'] = message;
  }
  return record;
}

/** pino writes epoch milliseconds unless a `timestamp` option chose ISO text. */
function epochMs(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
