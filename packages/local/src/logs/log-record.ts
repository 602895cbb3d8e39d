/**
 * One stored CloudWatch Logs event: a line of its log group's hash-chained event log (framed as
 * stored-event.ts frames every record), in a fixed key order, since the text is what is hashed.
 */

export interface LogRecord {
  /** Position in the group's log, from 1; the event's `eventId` is its decimal text. */
  seq: number;
  logStreamName: string;
  /** The stream incarnation (log-catalog.ts): events of a deleted stream stay in the log but not in the stream. */
  streamId: string;
  /** The event's own time, epoch milliseconds. */
  timestamp: number;
  /** When the lake stored it, epoch milliseconds. */
  ingestionTime: number;
  message: string;
}

export type NewLogRecord = Omit<LogRecord, 'seq'>;

export function logRecordJson(seq: number, r: NewLogRecord): string {
  const record: LogRecord = { seq, logStreamName: r.logStreamName, streamId: r.streamId, timestamp: r.timestamp, ingestionTime: r.ingestionTime, message: r.message };
  return JSON.stringify(record);
}

/** The record of a framed line's record JSON, or undefined when it is not one. */
export function parseLogRecord(recordJson: string): LogRecord | undefined {
  let value: Partial<LogRecord>;
  try {
    value = JSON.parse(recordJson) as Partial<LogRecord>;
  } catch {
    return undefined;
  }
  const ok =
    Number.isInteger(value.seq) &&
    typeof value.logStreamName === 'string' &&
    typeof value.streamId === 'string' &&
    typeof value.timestamp === 'number' &&
    typeof value.ingestionTime === 'number' &&
    typeof value.message === 'string';
  return ok ? (value as LogRecord) : undefined;
}
