/**
 * One stored event and its line in an event data store's log. Each line is
 * `{"hash":"<64 hex>","record":<record JSON>}` where hash = SHA-256(previous hash + record JSON),
 * so altering, removing or reordering any line breaks the chain from there on. The record JSON
 * is hashed exactly as written, so verification needs no canonical re-serialization.
 */
import { createHash, hash } from 'node:crypto';

/** What CloudTrail Lake keeps for an integration event: the fields it adds, and the original eventData. */
export interface StoredRecord {
  /** Position in the store's log, from 1. */
  seq: number;
  eventVersion: string;
  eventCategory: 'ActivityAuditLog';
  eventType: 'ActivityLog';
  /** Assigned at ingestion (returned in `successful[].eventID`). */
  eventID: string;
  /** Ingestion time, ISO-8601 UTC with milliseconds (a timestamp column in SQL). */
  eventTime: string;
  awsRegion: string;
  /** Taken from the payload's `recipientAccountId`, as CloudTrail does. */
  recipientAccountId: string;
  metadata: { ingestionTime: string; channelARN: string };
  /** The caller's `AuditEvent.id`. Not a CloudTrail column; kept for verify and replay. */
  id: string;
  /** The original `eventData` text, byte for byte. */
  eventData: string;
}

/**
 * A record on its way into a log (`seq` is assigned when it is written). `eventDataJson`, when
 * given, is `eventData` as a JSON string literal in UTF-8, as the request wrote it: the record
 * copies it instead of escaping and encoding `eventData` again.
 */
export type NewRecord = Omit<StoredRecord, 'seq'> & { readonly eventDataJson?: Buffer | undefined };

/** A record's JSON text, or the text in parts: `head`, then the bytes of `middle`, then `tail`. */
export type RecordText = string | { readonly head: string; readonly middle: Buffer; readonly tail: string };

/** The text of a CloudTrail Lake record, as its log writes and hashes it. */
export function lakeRecordText(seq: number, r: NewRecord): RecordText {
  // A fixed key order: the text is what is hashed and what verify re-reads. JSON.stringify of
  // the record with its keys in this order, written member by member (no record object to
  // build and walk for each event); `eventData` as the request escaped it, when known.
  const q = JSON.stringify;
  const head =
    `{"seq":${seq},"eventVersion":${q(r.eventVersion)},"eventCategory":${q(r.eventCategory)},"eventType":${q(r.eventType)},"eventID":${q(r.eventID)},` +
    `"eventTime":${q(r.eventTime)},"awsRegion":${q(r.awsRegion)},"recipientAccountId":${q(r.recipientAccountId)},` +
    `"metadata":{"ingestionTime":${q(r.metadata.ingestionTime)},"channelARN":${q(r.metadata.channelARN)}},"id":${q(r.id)},"eventData":`;
  return r.eventDataJson === undefined ? `${head}${q(r.eventData)}}` : { head, middle: r.eventDataJson, tail: '}' };
}

/**
 * CloudTrail Lake documents `eventVersion` as "the event version" without a value for
 * integration events; the local lake writes this one.
 */
export const STORED_EVENT_VERSION = '1.0';

const HASH_PREFIX = '{"hash":"';
const RECORD_PREFIX = '","record":';
/** Offset of the record JSON in a line. */
export const RECORD_OFFSET = HASH_PREFIX.length + 64 + RECORD_PREFIX.length;

/** The chain's starting value for a store: lines cannot be moved between stores unnoticed. */
export function genesisHash(eventDataStoreArn: string): string {
  return createHash('sha256').update(`auditlake-genesis:${eventDataStoreArn}`, 'utf8').digest('hex');
}

export function chainHash(previousHash: string, recordJson: string): string {
  // One call instead of a Hash object per record: the same digest of the two texts in a row.
  return hash('sha256', previousHash + recordJson, 'hex');
}

const hashOf = (bytes: Buffer): string => hash('sha256', bytes, 'hex');

/** The line (with its newline) for a record whose JSON text is `recordJson`. */
export function frameLine(hash: string, recordJson: string): string {
  return `${HASH_PREFIX}${hash}${RECORD_PREFIX}${recordJson}}\n`;
}

/**
 * The lines of records whose JSON texts are `records`, chained on from `previousHash`, as one
 * UTF-8 buffer, with the last hash and where each line starts in the buffer. The same bytes as
 * {@link frameLine} over {@link chainHash}, without a string per line to build, join and
 * encode: each record is encoded once, into its place, and hashed there (the 64 bytes before it
 * hold the previous hash while it is hashed, then the line's own head). The lines are written
 * into `scratch` when it is large enough, else into a new buffer, returned as the next
 * `scratch`: a log writes one commit at a time and reuses it.
 */
export function frameLines(previousHash: string, records: readonly RecordText[], scratch?: Buffer): { buffer: Buffer; hash: string; offsets: number[]; scratch: Buffer } {
  let capacity = 0;
  // At most 3 UTF-8 bytes per UTF-16 code unit.
  for (const text of records) capacity += RECORD_OFFSET + 2 + (typeof text === 'string' ? text.length * 3 : (text.head.length + text.tail.length) * 3 + text.middle.length);
  // Never a slice of Node's shared pool, which a kept buffer would overlap.
  const buffer = scratch !== undefined && scratch.length >= capacity ? scratch : Buffer.allocUnsafeSlow(capacity);
  const offsets: number[] = [];
  let hash = previousHash;
  let at = 0;
  for (const text of records) {
    offsets.push(at);
    const start = at + RECORD_OFFSET;
    let end = start;
    if (typeof text === 'string') {
      end += buffer.write(text, end, 'utf8');
    } else {
      end += buffer.write(text.head, end, 'utf8');
      end += text.middle.copy(buffer, end);
      end += buffer.write(text.tail, end, 'utf8');
    }
    buffer.write(hash, start - 64, 'latin1');
    hash = hashOf(buffer.subarray(start - 64, end));
    buffer.write(HASH_PREFIX, at, 'latin1');
    buffer.write(hash, at + HASH_PREFIX.length, 'latin1');
    buffer.write(RECORD_PREFIX, at + HASH_PREFIX.length + 64, 'latin1');
    buffer[end] = 0x7d; // }
    buffer[end + 1] = 0x0a; // \n
    at = end + 2;
  }
  return { buffer: buffer.subarray(0, at), hash, offsets, scratch: buffer };
}

/** Splits a line (without newline) into its hash and record text, or says why it cannot. */
export function unframeLine(line: string): { hash: string; recordJson: string } | string {
  if (!line.startsWith(HASH_PREFIX) || line.slice(HASH_PREFIX.length + 64, RECORD_OFFSET) !== RECORD_PREFIX || !line.endsWith('}')) {
    return 'the line is not {"hash":"<64 hex>","record":{...}}';
  }
  const hash = line.slice(HASH_PREFIX.length, HASH_PREFIX.length + 64);
  if (!/^[0-9a-f]{64}$/.test(hash)) return 'the hash is not 64 lower-case hex digits';
  return { hash, recordJson: line.slice(RECORD_OFFSET, -1) };
}

/** ISO-8601 UTC with milliseconds, as `eventTime` and `metadata.ingestionTime` are written. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
