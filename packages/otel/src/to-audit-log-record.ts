import type { AuditLogRecord } from '@auditlake/core';
import { toJsonSafe } from '@auditlake/core';
import type { HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * The names of the data model's severity numbers 1-24 (TRACE..FATAL4), as the SDK's
 * `SeverityNumber` enum spells them. Written out because that enum lives in
 * @opentelemetry/api-logs for SDK 0.x and in @opentelemetry/api for 3.x: neither can be imported
 * for both.
 */
const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((name) => [name, `${name}2`, `${name}3`, `${name}4`]);

/**
 * An OTel log record as core's neutral record. Attributes and resource attributes are passed
 * as they are (core reads them once, synchronously, and renders any value safely). Never throws:
 * a field that cannot be read (a hostile getter) is left out, so such a record is at worst
 * counted as skipped, and never breaks the batch it came in.
 */
export function toAuditLogRecord(log: ReadableLogRecord): AuditLogRecord {
  const record: AuditLogRecord = {};
  const time = read(() => epochMs(log.hrTime)) ?? read(() => epochMs(log.hrTimeObserved));
  if (time !== undefined) record.time = time;
  const attributes = read(() => log.attributes);
  if (attributes !== null && typeof attributes === 'object') record.attributes = attributes;
  const message = read(() => bodyText(log.body));
  if (message !== undefined) record.message = message;
  const severity = read(() => log.severityText) ?? read(() => severityName(log.severityNumber));
  if (typeof severity === 'string') record.severity = severity;
  const eventName = read(() => log.eventName);
  if (typeof eventName === 'string') record.eventName = eventName;
  const resource = read(() => log.resource.attributes);
  if (resource !== null && typeof resource === 'object') record.resource = resource;
  const span = read(() => log.spanContext);
  const traceId = read(() => span?.traceId);
  const spanId = read(() => span?.spanId);
  if (typeof traceId === 'string') record.traceId = traceId;
  if (typeof spanId === 'string') record.spanId = spanId;
  return record;
}

function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** The SDK fills `hrTime` with the emit time when the caller gave none; [0, 0] is an unset clock. */
function epochMs(time: HrTime | undefined): number | undefined {
  if (!Array.isArray(time) || time.length !== 2 || (time[0] === 0 && time[1] === 0)) return undefined;
  const ms = time[0] * 1e3 + time[1] / 1e6;
  return Number.isFinite(ms) ? ms : undefined;
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === 'string' ? body : (JSON.stringify(toJsonSafe(body)) ?? 'null');
}

function severityName(severity: number | undefined): string | undefined {
  return typeof severity === 'number' ? SEVERITY_NAMES[severity - 1] : undefined;
}
