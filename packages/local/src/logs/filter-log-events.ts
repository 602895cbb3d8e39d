/**
 * FilterLogEvents: the events of a group's streams (all, the named ones, or those with a name
 * prefix) in `[startTime, endTime)` whose message matches `filterPattern`, merged across streams
 * by timestamp and then arrival, a page at a time (at most `limit`, default 10,000, and 1 MB).
 * A page is followed by `nextToken` only when another matching event exists; no token means
 * the end, as the service documents.
 */
import { LOG_EVENT_OVERHEAD_BYTES, MAX_LOG_BATCH_BYTES, MAX_LOG_EVENTS_PER_REQUEST } from '@auditlake/core/internal';
import { groupNameOrIdentifier, resolveGroupIdentifier, retentionCutoff, type LogsOperation } from './context.js';
import { compileFilterPattern } from './filter-pattern.js';
import type { OpenStream } from './log-store.js';
import { readToken, writeToken } from './pagination.js';
import { compare, type EventKey, type IndexedEvent } from './stream-events.js';
import { invalidParameter, LOG_STREAM_NAME, NEXT_TOKEN, Validation } from './validation.js';

const filterLogEvents: LogsOperation = ({ store, now }, input) => {
  const v = new Validation();
  const identifier = groupNameOrIdentifier(v, input);
  const names = v.list(input, 'logStreamNames', { min: 1, max: 100 });
  names?.forEach((name, i) => v.string({ name }, 'name', { ...LOG_STREAM_NAME, required: true }, `logStreamNames.${i + 1}.member`));
  const prefix = v.string(input, 'logStreamNamePrefix', LOG_STREAM_NAME);
  const startTime = v.integer(input, 'startTime', { min: 0 });
  const endTime = v.integer(input, 'endTime', { min: 0 });
  const pattern = v.string(input, 'filterPattern', { max: 1024 });
  const token = v.string(input, 'nextToken', NEXT_TOKEN);
  const limit = v.integer(input, 'limit', { min: 1, max: MAX_LOG_EVENTS_PER_REQUEST }) ?? MAX_LOG_EVENTS_PER_REQUEST;
  v.boolean(input, 'interleaved');
  v.boolean(input, 'unmask');
  v.done();
  if (names !== undefined && prefix !== undefined) throw invalidParameter('You cannot specify both LogStreamNames and LogStreamNamePrefix.');
  const matches = compileFilterPattern(pattern);
  const group = resolveGroupIdentifier(store.logs, identifier());
  const scope = `filter:${group.info.id}`;
  const after = token === undefined ? undefined : readToken<[number, number]>(token, scope);

  let streams = [...group.streams.values()];
  if (names !== undefined) streams = streams.filter((s) => (names as string[]).includes(s.info.name));
  if (prefix !== undefined) streams = streams.filter((s) => s.info.name.startsWith(prefix));
  const from = Math.max(startTime ?? 0, retentionCutoff(group, now()));
  const merged = new MergedEvents(streams, from, endTime, after);

  const events: Record<string, unknown>[] = [];
  let bytes = 0;
  let last: EventKey | undefined;
  let more = false;
  for (let next = merged.next(); next !== undefined; next = merged.next()) {
    const message = store.logs.message(group, next.event);
    if (!matches(message)) continue;
    const size = next.event.bytes + LOG_EVENT_OVERHEAD_BYTES;
    if (events.length === limit || (events.length > 0 && bytes + size > MAX_LOG_BATCH_BYTES)) {
      more = true;
      break;
    }
    events.push({ logStreamName: next.stream.info.name, timestamp: next.event.timestamp, message, ingestionTime: next.event.ingestionTime, eventId: String(next.event.seq) });
    bytes += size;
    last = [next.event.timestamp, next.event.seq];
  }
  return {
    events,
    // "searchedLogStreams … is always returned as an empty list" since the service stopped reporting it.
    searchedLogStreams: [],
    ...(more && last !== undefined ? { nextToken: writeToken(scope, last) } : {}),
  };
};

/** The events of several streams in one order (timestamp, then arrival), through a min-heap of stream cursors. */
interface Cursor {
  stream: OpenStream;
  index: number;
  end: number;
  key: EventKey;
}

class MergedEvents {
  readonly #heap: Cursor[] = [];

  constructor(streams: readonly OpenStream[], from: number, endTime: number | undefined, after: EventKey | undefined) {
    for (const stream of streams) {
      const { events } = stream;
      const index = Math.max(events.lowerBound([from, 0]), after === undefined ? 0 : events.upperBound(after));
      const end = endTime === undefined ? events.length : events.lowerBound([endTime, 0]);
      if (index < end) this.#push({ stream, index, end, key: events.key(index) });
    }
  }

  next(): { stream: OpenStream; event: IndexedEvent } | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const event = top.stream.events.at(top.index);
    const last = this.#heap.pop() as Cursor;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#down(0);
    }
    if (top.index + 1 < top.end) this.#push({ ...top, index: top.index + 1, key: top.stream.events.key(top.index + 1) });
    return { stream: top.stream, event };
  }

  #push(cursor: Cursor): void {
    const heap = this.#heap;
    heap.push(cursor);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare((heap[parent] as Cursor).key, cursor.key) <= 0) break;
      heap[i] = heap[parent] as Cursor;
      i = parent;
    }
    heap[i] = cursor;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const item = heap[i] as Cursor;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && compare((heap[right] as Cursor).key, (heap[left] as Cursor).key) < 0 ? right : left;
      if (compare((heap[child] as Cursor).key, item.key) >= 0) break;
      heap[i] = heap[child] as Cursor;
      i = child;
    }
    heap[i] = item;
  }
}

export const filterLogEventsOperations: Record<string, LogsOperation> = { FilterLogEvents: filterLogEvents };
