import type { AuditLogRecord } from '@auditlake/core';
import { setOwn, toJsonSafe } from '@auditlake/core';

/** winston keeps the level before any colorizing format under this symbol (triple-beam's LEVEL). */
const LEVEL = Symbol.for('level');

/**
 * A winston `info` object (after formats) as core's neutral record: `message`, the level as
 * severity, `timestamp` when a format added a parseable one, and every other enumerable string
 * key as an attribute (`audit` among them). winston's symbol keys are internal and left out.
 * Never throws: a value whose getter throws is rendered `"[Unserializable: <message>]"`.
 */
export function toAuditLogRecord(info: object): AuditLogRecord {
  const record: AuditLogRecord = {};
  const attributes: Record<string, unknown> = {};
  for (const key of keysOf(info)) {
    const value = valueOf(info, key);
    if (key === 'message') {
      const message = typeof value === 'string' ? value : JSON.stringify(toJsonSafe(value));
      if (message !== undefined && message !== '') record.message = message;
    } else if (key === 'level') {
      if (typeof value === 'string') record.severity = value;
    } else {
      // A timestamp that does not parse stays an attribute rather than being lost.
      const time = key === 'timestamp' ? epochMs(value) : undefined;
      if (time !== undefined) record.time = time;
      else setOwn(attributes, key, value);
    }
  }
  const level = valueOf(info, LEVEL);
  if (typeof level === 'string') record.severity = level;
  record.attributes = attributes;
  return record;
}

function keysOf(info: object): string[] {
  try {
    return Object.keys(info);
  } catch {
    return [];
  }
}

function valueOf(info: object, key: string | symbol): unknown {
  try {
    return (info as Record<string | symbol, unknown>)[key];
  } catch (error) {
    return `[Unserializable: ${error instanceof Error ? error.message : String(error)}]`;
  }
}

function epochMs(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value instanceof Date ? value.getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
