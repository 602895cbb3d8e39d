import { hash } from 'node:crypto';
import { isOwnAuditEventId } from '../../audit-event.js';
import type { BatchLimits } from '../../destination.js';
import type { BodyPool } from '../body-pool.js';
import { EVENT_ID_PATTERN, MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BODY_BYTES } from './limits.js';

/** `eventDataChecksum`: base64 of the SHA-256 of the UTF-8 bytes of `eventData`. */
export function eventDataChecksum(eventData: string): string {
  return hash('sha256', eventData, 'base64');
}

/**
 * The entry of an event as it appears in the request body: exactly `JSON.stringify` of
 * `{ id, eventData, eventDataChecksum }`, the checksum computed here when `checksum` is set.
 * Escaping `eventData` is the costliest step after serializing it, so it is done once, when the
 * event is accepted; the entry is then the only copy of the event the engine keeps, and it is
 * also the `AuditEvent` of a dead letter.
 */
export function auditEventEntry(id: string, eventData: string, checksum: boolean): string {
  // An id of the `Uuid` shape (every id admission lets through) holds nothing JSON escapes, nor
  // does a base64 checksum: both are written as they are, which saves two escapes per event.
  const idText = isOwnAuditEventId(id) || EVENT_ID_PATTERN.test(id) ? `"${id}"` : JSON.stringify(id);
  const escaped = JSON.stringify(eventData);
  if (!checksum) return `{"id":${idText},"eventData":${escaped}}`;
  return `{"id":${idText},"eventData":${escaped},"eventDataChecksum":"${eventDataChecksum(eventData)}"}`;
}

const CHECKSUM_MEMBER = ',"eventDataChecksum":"';
/** A SHA-256 in base64, its closing quote, and the entry's closing brace. */
const CHECKSUM_TAIL = 44 + 2;
/**
 * Whether an entry made by {@link auditEventEntry} carries a checksum: then it is the last
 * member, ending the entry at a known distance, so one comparison at that place tells. Inside
 * the escaped `eventData` a quote always follows a backslash, so the name cannot appear there.
 */
export function entryHasChecksum(entry: string): boolean {
  return entry.startsWith(CHECKSUM_MEMBER, entry.length - CHECKSUM_TAIL - CHECKSUM_MEMBER.length);
}

/** The `eventDataChecksum` of an entry made by {@link auditEventEntry}, read at its known place; `undefined` when it has none. */
export function entryChecksum(entry: string): string | undefined {
  return entryHasChecksum(entry) ? entry.slice(entry.length - CHECKSUM_TAIL, entry.length - 2) : undefined;
}

const ENVELOPE_HEAD = '{"auditEvents":[';
const ENVELOPE_TAIL = ']}';
/** Bytes of `{"auditEvents":[]}`. */
export const REQUEST_ENVELOPE_BYTES = ENVELOPE_HEAD.length + ENVELOPE_TAIL.length;

/** PutAuditEvents' limits in the engine's batch arithmetic: the body is the envelope, the entries and a comma between each two. */
export function lakeBatchLimits(maxEvents = MAX_EVENTS_PER_REQUEST, maxBytes = MAX_REQUEST_BODY_BYTES): BatchLimits {
  return { maxEvents, maxBytes, envelopeBytes: REQUEST_ENVELOPE_BYTES, separatorBytes: 1 };
}

/** The request body from entries built by {@link auditEventEntry}. */
export function requestBody(entries: readonly string[]): string {
  return `${ENVELOPE_HEAD}${entries.join(',')}${ENVELOPE_TAIL}`;
}

/**
 * The same body as UTF-8 bytes, written entry by entry into one buffer of the exact size
 * (`bytes` of each entry is its UTF-8 size): no joined string to build and copy again.
 */
export function requestBodyBuffer(entries: readonly { entry: string; bytes: number }[], pool?: BodyPool): Buffer {
  let total = requestBodyBytes(0, entries.length);
  for (const item of entries) total += item.bytes;
  const body = pool ? pool.take(total) : Buffer.allocUnsafe(total);
  let at = body.write(ENVELOPE_HEAD, 0, 'latin1');
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) body[at++] = 0x2c; // ,
    at += body.write((entries[i] as { entry: string }).entry, at, 'utf8');
  }
  body.write(ENVELOPE_TAIL, at, 'latin1');
  return body;
}

/** UTF-8 size of the request body holding `count` entries whose sizes add up to `entryBytes`. */
export function requestBodyBytes(entryBytes: number, count: number): number {
  return REQUEST_ENVELOPE_BYTES + entryBytes + Math.max(0, count - 1);
}
