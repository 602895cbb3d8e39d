/**
 * The neutral log record every front end converts its host's record to. Only `attributes`
 * decides whether it is an audit event: it must hold an `audit` object (nested `{ audit: {…} }`
 * or flat `audit.<field>` keys).
 */
export interface AuditLogRecord {
  /** When it happened: a `Date` or epoch milliseconds. Default: the time of `add()`. */
  time?: Date | number;
  /** The record's attributes (OTel attributes, winston meta, pino's merged object). */
  attributes?: Record<string, unknown>;
  /** The log message or body. Kept in `additionalEventData.message`. */
  message?: string;
  /** Level or severity text. Kept in `additionalEventData.severity`. */
  severity?: string;
  /** The OTel event name; a fallback for `eventName`. */
  eventName?: string;
  /** Resource attributes; `service.name` is a fallback for `eventSource`. */
  resource?: Record<string, unknown>;
  /** W3C trace id, kept in `additionalEventData.traceId`. */
  traceId?: string;
  /** W3C span id, kept in `additionalEventData.spanId`. */
  spanId?: string;
}
