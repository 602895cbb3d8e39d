/**
 * GetLogEvents: one stream's events in `[startTime, endTime)`, by timestamp, a page at a time
 * (at most `limit`, default 10,000, and 1 MB of events). Without a token the page is the newest
 * one, or the oldest with `startFromHead`. The tokens are positions between events, `f/…`
 * forward and `b/…` backward, never null; at either end the service gives back the token it was
 * given, which is how a reader knows it is done (the operation has no paginator).
 */
import { LOG_EVENT_OVERHEAD_BYTES, MAX_LOG_BATCH_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from '@auditlake/core/internal';
import { groupNameOrIdentifier, requireStream, resolveGroupIdentifier, retentionCutoff, type LogsOperation } from './context.js';
import type { OpenGroup } from './log-store.js';
import type { EventKey, IndexedEvent } from './stream-events.js';
import { invalidParameter, LOG_STREAM_NAME, NEXT_TOKEN, Validation } from './validation.js';

/** Before every event. */
const BEGINNING: EventKey = [-1, 0];
const TOKEN = /^([fb])\/(\d{16})(\d{16})\/s$/;

const getLogEvents: LogsOperation = ({ store, now }, input) => {
  const v = new Validation();
  const identifier = groupNameOrIdentifier(v, input);
  const streamName = v.string(input, 'logStreamName', { ...LOG_STREAM_NAME, required: true });
  const startTime = v.integer(input, 'startTime', { min: 0 });
  const endTime = v.integer(input, 'endTime', { min: 0 });
  const token = v.string(input, 'nextToken', NEXT_TOKEN);
  const limit = v.integer(input, 'limit', { min: 1, max: MAX_LOG_EVENTS_PER_REQUEST }) ?? MAX_LOG_EVENTS_PER_REQUEST;
  const startFromHead = v.boolean(input, 'startFromHead') ?? false;
  v.boolean(input, 'unmask');
  v.done();
  const position = token === undefined ? undefined : parseToken(token);
  const group = resolveGroupIdentifier(store.logs, identifier());
  const stream = requireStream(group, streamName as string);
  const { events } = stream;

  const from = Math.max(startTime ?? 0, retentionCutoff(group, now()));
  const low = events.lowerBound([from, 0]);
  const high = endTime === undefined ? events.length : events.lowerBound([endTime, 0]);
  const forward = position === undefined ? startFromHead : position.direction === 'f';
  const picked: IndexedEvent[] = [];
  let bytes = 0;
  const fits = (event: IndexedEvent) => picked.length < limit && (picked.length === 0 || bytes + event.bytes + LOG_EVENT_OVERHEAD_BYTES <= MAX_LOG_BATCH_BYTES);
  if (forward) {
    for (let i = Math.max(low, position === undefined ? 0 : events.upperBound(position.key)); i < high; i++) {
      const event = events.at(i);
      if (!fits(event)) break;
      picked.push(event);
      bytes += event.bytes + LOG_EVENT_OVERHEAD_BYTES;
    }
  } else {
    for (let i = Math.min(high, position === undefined ? events.length : events.lowerBound(position.key)) - 1; i >= low; i--) {
      const event = events.at(i);
      if (!fits(event)) break;
      picked.push(event);
      bytes += event.bytes + LOG_EVENT_OVERHEAD_BYTES;
    }
    picked.reverse();
  }
  return { events: picked.map((event) => outputEvent(store.logs, group, event)), ...tokens(picked, token, position) };
};

function outputEvent(logs: { message(group: OpenGroup, event: IndexedEvent): string }, group: OpenGroup, event: IndexedEvent): Record<string, unknown> {
  return { timestamp: event.timestamp, message: logs.message(group, event), ingestionTime: event.ingestionTime };
}

function tokens(picked: readonly IndexedEvent[], given: string | undefined, position: { direction: 'f' | 'b'; key: EventKey } | undefined): { nextForwardToken: string; nextBackwardToken: string } {
  const first = picked[0];
  const last = picked.at(-1);
  if (first !== undefined && last !== undefined) {
    return { nextForwardToken: formatToken('f', [last.timestamp, last.seq]), nextBackwardToken: formatToken('b', [first.timestamp, first.seq]) };
  }
  if (position === undefined || given === undefined) return { nextForwardToken: formatToken('f', BEGINNING), nextBackwardToken: formatToken('b', BEGINNING) };
  // Nothing further this way: the same token back; the other way starts where this one points.
  const [timestamp, seq] = position.key;
  return position.direction === 'f'
    ? { nextForwardToken: given, nextBackwardToken: formatToken('b', [timestamp, seq + 1]) }
    : { nextForwardToken: formatToken('f', [timestamp, seq - 1]), nextBackwardToken: given };
}

export function formatToken(direction: 'f' | 'b', [timestamp, seq]: EventKey): string {
  return `${direction}/${String(timestamp + 1).padStart(16, '0')}${String(Math.max(0, seq)).padStart(16, '0')}/s`;
}

function parseToken(token: string): { direction: 'f' | 'b'; key: EventKey } {
  const match = TOKEN.exec(token);
  if (!match) throw invalidParameter('The specified nextToken is not valid: give a nextForwardToken or nextBackwardToken of an earlier GetLogEvents call.');
  return { direction: match[1] as 'f' | 'b', key: [Number(match[2]) - 1, Number(match[3])] };
}

export const getLogEventsOperations: Record<string, LogsOperation> = { GetLogEvents: getLogEvents };
