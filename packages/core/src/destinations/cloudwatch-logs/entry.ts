import type { BatchLimits } from '../../destination.js';
import type { BodyPool } from '../body-pool.js';
import { LOG_EVENT_OVERHEAD_BYTES, MAX_LOG_BATCH_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from './limits.js';

/** One `InputLogEvent`: the audit event's time and its `eventData` text. */
export interface InputLogEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

const MESSAGE_KEY = ',"message":';

/**
 * The entry as it appears in the request body: exactly `JSON.stringify({ timestamp, message })`.
 * Escaping the message is the costly step; it is done once, when the event is accepted, and the
 * entry is then the only copy of the event the engine keeps.
 */
export function logEventEntry(timestamp: number, message: string): string {
  return `{"timestamp":${timestamp}${MESSAGE_KEY}${JSON.stringify(message)}}`;
}

/** The message of an entry built by {@link logEventEntry}. */
export function logEventMessage(entry: string): string {
  return (JSON.parse(entry) as InputLogEvent).message;
}

/**
 * The `AuditEvent` of an entry as JSON text (what a dead letter holds), without parsing: the
 * message's JSON string literal is already in the entry, after the number of the timestamp.
 */
export function logEventAuditEventJson(id: string, entry: string): string {
  return `{"id":${JSON.stringify(id)},"eventData":${entry.slice(entry.indexOf(MESSAGE_KEY) + MESSAGE_KEY.length, -1)}}`;
}

/** An event's size in the service's batch arithmetic: the message's UTF-8 bytes plus 26. */
export function logEventBytes(messageUtf8Bytes: number): number {
  return messageUtf8Bytes + LOG_EVENT_OVERHEAD_BYTES;
}

/**
 * PutLogEvents' limits in the engine's batch arithmetic. The JSON around the messages (keys,
 * timestamps, escapes, the group and stream names) does not count against the service's limit,
 * so there is no envelope and no separator; the HTTP body is larger than `maxBytes` by that
 * overhead (about 40 bytes per event, plus the escapes of the message's quotes).
 */
export function logsBatchLimits(maxEvents = MAX_LOG_EVENTS_PER_REQUEST, maxBytes = MAX_LOG_BATCH_BYTES): BatchLimits {
  return { maxEvents, maxBytes, envelopeBytes: 0, separatorBytes: 0 };
}

/** The head of the request body up to the first entry: `{"logGroupName":…,"logStreamName":…,"logEvents":[`. */
export function putLogEventsBodyHead(logGroupName: string, logStreamName: string): string {
  return `{"logGroupName":${JSON.stringify(logGroupName)},"logStreamName":${JSON.stringify(logStreamName)},"logEvents":[`;
}

/**
 * The request body, as UTF-8, from a head and entries in the order they are to be sent; on memory
 * from `pool` when given. Each entry is written once, into room for its largest possible size
 * (3 bytes per UTF-16 code unit), and the body is what was written: measuring the entries first
 * would read each of them twice. Room that is never written costs address space only: the
 * kernel maps a page when it is first written.
 */
export function putLogEventsBody(head: string, entries: readonly string[], pool?: BodyPool): Buffer {
  let room = 3 * head.length + 2 + Math.max(0, entries.length - 1);
  for (const entry of entries) room += 3 * entry.length;
  const body = pool ? pool.take(room) : Buffer.allocUnsafe(room);
  let at = body.write(head, 0, 'utf8');
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) body[at++] = 0x2c; // ,
    at += body.write(entries[i] as string, at, 'utf8');
  }
  at += body.write(']}', at, 'latin1');
  return body.subarray(0, at);
}
