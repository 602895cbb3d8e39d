/**
 * The CloudWatch Logs side of a data directory: the log groups and streams (log-catalog.ts),
 * one append-only, hash-chained event log per group (the lake's own EventLog, so `verify` and
 * SQL read it as they read an event data store), and an index of each stream's events for the
 * read APIs (stream-events.ts), rebuilt from the log at start.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostics } from '@auditlake/core';
import { EventLog, LOG_FILE } from '../event-log.js';
import { readLines } from '../log-reader.js';
import { unframeLine } from '../stored-event.js';
import { LogCatalog, type LogGroupInfo, type LogStreamInfo } from './log-catalog.js';
import { logRecordJson, parseLogRecord, type NewLogRecord } from './log-record.js';
import { StreamEvents, type IndexedEvent } from './stream-events.js';

export interface OpenStream {
  readonly info: LogStreamInfo;
  readonly events: StreamEvents;
}

export interface OpenGroup {
  readonly info: LogGroupInfo;
  readonly streams: Map<string, OpenStream>;
  readonly log: EventLog<NewLogRecord>;
  /** A read descriptor of the log, opened on the first read. */
  fd: number | undefined;
}

export interface LogStoreOptions {
  region: string;
  accountId: string;
  fsync: boolean;
  diagnostics: Diagnostics;
}

/** Log bytes read per step when the index is rebuilt. */
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;

export class LogStore {
  readonly catalog: LogCatalog;
  readonly #groups = new Map<string, OpenGroup>();
  readonly #options: LogStoreOptions;

  private constructor(catalog: LogCatalog, options: LogStoreOptions) {
    this.catalog = catalog;
    this.#options = options;
  }

  static async open(dataDir: string, options: LogStoreOptions): Promise<LogStore> {
    const store = new LogStore(LogCatalog.open(dataDir, options), options);
    try {
      for (const info of store.catalog.logGroups) await store.#openGroup(info);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  group(name: string): OpenGroup | undefined {
    return this.#groups.get(name);
  }

  /** Every group, by name (ASCII order, as DescribeLogGroups lists them). */
  groups(): OpenGroup[] {
    return [...this.#groups.values()].sort((a, b) => ascii(a.info.name, b.info.name));
  }

  async createGroup(input: Omit<LogGroupInfo, 'id' | 'streams'>): Promise<OpenGroup> {
    const info = this.catalog.addGroup(input);
    try {
      return await this.#openGroup(info);
    } catch (error) {
      // A group without its log would fail every later write to it: take the group back.
      this.catalog.removeGroup(info);
      await rm(this.catalog.groupDir(info), { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Forgets the group and removes its events (DeleteLogGroup deletes them permanently). */
  async deleteGroup(group: OpenGroup): Promise<void> {
    this.catalog.removeGroup(group.info);
    this.#groups.delete(group.info.name);
    // Appends already queued finish first: they were accepted before the group went away.
    await group.log.close();
    if (group.fd !== undefined) closeSync(group.fd);
    group.fd = undefined;
    await rm(this.catalog.groupDir(group.info), { recursive: true, force: true });
  }

  createStream(group: OpenGroup, name: string, now: number): OpenStream {
    const info = this.catalog.addStream(group.info, name, now);
    const stream = { info, events: new StreamEvents() };
    group.streams.set(name, stream);
    return stream;
  }

  /** The stream's events leave the read APIs; its lines stay in the group's hash-chained log. */
  deleteStream(group: OpenGroup, stream: OpenStream): void {
    this.catalog.removeStream(group.info, stream.info);
    group.streams.delete(stream.info.name);
  }

  /** Appends events (in the order given) to a stream; resolves once they are durable. */
  async append(group: OpenGroup, stream: OpenStream, events: { timestamp: number; message: string; bytes: number }[], now: number): Promise<void> {
    if (events.length === 0) return;
    const records = events.map((event) => ({ logStreamName: stream.info.name, streamId: stream.info.id, timestamp: event.timestamp, ingestionTime: now, message: event.message }));
    const appended = await group.log.append(records);
    events.forEach((event, i) => {
      stream.events.add({ timestamp: event.timestamp, seq: appended.firstSeq + i, ingestionTime: now, bytes: event.bytes, offset: appended.offsets[i] as number });
    });
  }

  /** The message of an indexed event, read from the group's log. */
  message(group: OpenGroup, event: IndexedEvent): string {
    group.fd ??= openSync(join(this.catalog.groupDir(group.info), LOG_FILE), 'r');
    // The line holds the message (escaped, so up to six bytes per byte) and a few hundred bytes more.
    let size = event.bytes + 1024;
    for (;;) {
      const buffer = Buffer.allocUnsafe(size);
      const read = readSync(group.fd, buffer, 0, size, event.offset);
      const end = buffer.subarray(0, read).indexOf(0x0a);
      if (end === -1 && read === size) {
        size *= 4;
        continue;
      }
      const framed = unframeLine(buffer.subarray(0, end === -1 ? read : end).toString('utf8'));
      const record = typeof framed === 'string' ? undefined : parseLogRecord(framed.recordJson);
      if (record === undefined || record.seq !== event.seq) throw new Error(`the log of log group ${group.info.name} does not hold event ${event.seq} at byte ${event.offset}; run "auditlake verify"`);
      return record.message;
    }
  }

  async close(): Promise<void> {
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    const results = await Promise.allSettled(
      groups.map(async (group) => {
        if (group.fd !== undefined) closeSync(group.fd);
        group.fd = undefined;
        await group.log.close();
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #openGroup(info: LogGroupInfo): Promise<OpenGroup> {
    const dir = this.catalog.groupDir(info);
    const log = await EventLog.open<NewLogRecord>(dir, this.catalog.identity(info), { fsync: this.#options.fsync, diagnostics: this.#options.diagnostics, serialize: logRecordJson });
    const group: OpenGroup = { info, log, streams: new Map(info.streams.map((s) => [s.name, { info: s, events: new StreamEvents() }])), fd: undefined };
    try {
      await this.#index(group, join(dir, LOG_FILE), log.committedBytes);
    } catch (error) {
      await log.close();
      throw error;
    }
    this.#groups.set(info.name, group);
    return group;
  }

  /** Rebuilds the streams' indexes from the log, up to what is acknowledged. */
  async #index(group: OpenGroup, path: string, committedBytes: number): Promise<void> {
    const byId = new Map([...group.streams.values()].map((stream) => [stream.info.id, stream]));
    let position = 0;
    let damaged = 0;
    while (position < committedBytes) {
      const { lines, bytes } = await readLines(path, position, SCAN_CHUNK_BYTES);
      if (bytes === 0) break;
      let start = 0;
      for (let end = lines.indexOf(0x0a); end !== -1; end = lines.indexOf(0x0a, start)) {
        const framed = unframeLine(lines.subarray(start, end).toString('utf8'));
        const record = typeof framed === 'string' ? undefined : parseLogRecord(framed.recordJson);
        if (record === undefined) damaged++;
        else {
          byId.get(record.streamId)?.events.add({ timestamp: record.timestamp, seq: record.seq, ingestionTime: record.ingestionTime, bytes: Buffer.byteLength(record.message), offset: position + start });
        }
        start = end + 1;
      }
      position += bytes;
    }
    if (damaged > 0) {
      this.#options.diagnostics.warn(`auditlake: ${damaged} damaged records of log group ${group.info.name} are left out of the Logs API; run "auditlake verify" to locate them`);
    }
  }
}

function ascii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
