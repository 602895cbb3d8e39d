import { newAuditEventId, type AuditEvent, type FieldBytes } from './audit-event.js';
import type { OutgoingEvent } from './destination.js';
import { isJsonObject, type RecordEncoder } from './map-record.js';
import type { AuditLogRecord } from './record.js';
import { redactRecord, type RedactPath } from './redact.js';
import { EVENT_TIME_PATTERN, type AuditEventData } from './schema.js';
import { stringifySafe, toJsonSafe } from './serialize.js';
import { validateAuditEventEntry, validateEventData, type ValidateEventDataOptions } from './validate.js';

/** An event refused before it was queued: it is dead-lettered with `code`, under `id`. */
export interface Refusal {
  readonly id: string;
  /** `eventData` as JSON text (for input that never became an event: the input, rendered safely). */
  readonly json: string;
  readonly code: string;
  readonly message: string;
}

export type Admitted = OutgoingEvent | Refusal | 'skipped';

export function isRefused(admitted: Admitted): admitted is Refusal {
  return typeof admitted === 'object' && (admitted as Refusal).code !== undefined;
}

/** The `AuditEvent` of a refusal as JSON text: what its dead letter holds. */
export function refusalEventJson(refusal: Refusal): string {
  return JSON.stringify({ id: refusal.id, eventData: refusal.json } satisfies AuditEvent);
}

export interface AdmissionOptions {
  readonly encodeRecord: RecordEncoder;
  readonly redact: readonly RedactPath[];
  /** The channel owner's account, which `recipientAccountId` must equal (CloudTrail Lake). */
  readonly recipientAccountId: string | undefined;
  /** `recipientAccountId` may be absent (CloudWatch Logs: no channel owner). */
  readonly recipientOptional?: boolean;
  /** An admitted event had `fields` text fields cut to their caps. */
  readonly truncated?: (fields: number) => void;
}

/**
 * The first steps of the data's way: a record is mapped and serialized (redaction included),
 * then validated against the integration schema; the result is an event for the destination to
 * encode, a refusal with the service's own per-event code, or "not an audit event".
 */
export class Admission {
  readonly #o: AdmissionOptions;
  readonly #validation: ValidateEventDataOptions;

  constructor(options: AdmissionOptions) {
    this.#o = options;
    this.#validation = { recipientAccountId: options.recipientAccountId, recipientOptional: options.recipientOptional, fieldBytes: undefined, eventDataBytes: undefined };
  }

  record(record: AuditLogRecord): Admitted {
    let encoded;
    try {
      encoded = this.#o.encodeRecord(record);
    } catch (error) {
      // Only hostile inputs get here (a throwing proxy as the attributes themselves).
      return this.value(record, 'InvalidData', `the record could not be mapped: ${String(error)}`);
    }
    if (encoded === undefined) return 'skipped';
    const { data, json } = encoded;
    const admitted = this.#validated(data, newAuditEventId(), json, encoded.timeMs, encoded.fieldBytes, encoded.bytes ?? json.length * 3);
    if (encoded.truncatedFields !== undefined && !isRefused(admitted)) this.#o.truncated?.(encoded.truncatedFields);
    return admitted;
  }

  /** An already-built event (a dead letter being replayed): validated as the service would, sent as it is, id kept. */
  event(event: AuditEvent): OutgoingEvent | Refusal {
    const problem = validateAuditEventEntry(event);
    if (problem !== undefined) {
      const usable = isJsonObject(event) && typeof event.id === 'string' && typeof event.eventData === 'string';
      return usable ? { id: event.id, json: event.eventData, code: 'InvalidData', message: problem } : this.value(event, 'InvalidData', problem);
    }
    let data: unknown;
    try {
      data = JSON.parse(event.eventData);
    } catch {
      return { id: event.id, json: event.eventData, code: 'InvalidData', message: 'eventData is not valid JSON' };
    }
    return this.#validated(data as AuditEventData, event.id, event.eventData, eventTimeMs(data), undefined, undefined);
  }

  /** Input that is not an event at all, rendered safely (and redacted) for its dead letter. */
  value(value: unknown, code: string, message: string): Refusal {
    const safe = toJsonSafe(value);
    if (this.#o.redact.length > 0 && isJsonObject(safe)) redactRecord(safe, this.#o.redact);
    return { id: newAuditEventId(), json: stringifySafe(safe), code, message };
  }

  /** `fieldBytes`, `eventDataBytes`: what the encoder measured of `json`, when `json` is exactly `JSON.stringify(data)`. */
  #validated(data: AuditEventData, id: string, json: string, timeMs: number, fieldBytes: FieldBytes | undefined, eventDataBytes: number | undefined): OutgoingEvent | Refusal {
    // One options object for every event (validation is synchronous): no allocation per event.
    const options = this.#validation;
    options.fieldBytes = fieldBytes;
    options.eventDataBytes = eventDataBytes;
    const violation = validateEventData(data, options);
    if (violation) return { id, json, code: violation.code, message: violation.message };
    return { id, json, timeMs };
  }
}

/** The time of a valid `eventData`, from its `eventTime` (whole seconds). */
function eventTimeMs(data: unknown): number {
  const match = EVENT_TIME_PATTERN.exec(String((data as { eventTime?: unknown }).eventTime));
  if (!match) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second);
}
