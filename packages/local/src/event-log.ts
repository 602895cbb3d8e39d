/**
 * The append-only, hash-chained log of one event data store (`events.jsonl`), with group
 * commit: appends that arrive while a write+fsync is in flight are written and synced together
 * in the next one, so concurrent requests share fsyncs. An append resolves only once its lines
 * are on disk. Checkpoints of the chain head go to `digest.jsonl`, so that cutting events off
 * the end of the log (which leaves a valid chain) is detected by `verify` too.
 */
import { closeSync, fsyncSync, openSync, readSync, statSync } from 'node:fs';
import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostics } from '@auditlake/core';
import { chainHash, frameLine, genesisHash, unframeLine, type StoredRecord } from './stored-event.js';

export const LOG_FILE = 'events.jsonl';
export const DIGEST_FILE = 'digest.jsonl';
/** At most one checkpoint per this interval while writing (and one at close). */
const CHECKPOINT_INTERVAL_MS = 1000;

/** A checkpoint line of `digest.jsonl`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** Size of the log up to and including that event. */
  bytes: number;
  time: string;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class EventLog {
  readonly dir: string;
  readonly #handle: FileHandle;
  readonly #fsync: boolean;
  readonly #diagnostics: Diagnostics;
  #seq: number;
  #head: string;
  #committedBytes: number;
  #pending: string[] = [];
  #pendingWaiters: Waiter[] = [];
  #writing: Promise<void> | undefined;
  #failure: Error | undefined;
  #lastCheckpointAt = 0;
  #checkpointedSeq: number;
  #closed = false;

  private constructor(dir: string, handle: FileHandle, state: { seq: number; head: string; bytes: number }, fsync: boolean, diagnostics: Diagnostics) {
    this.dir = dir;
    this.#handle = handle;
    this.#seq = state.seq;
    this.#head = state.head;
    this.#committedBytes = state.bytes;
    this.#checkpointedSeq = state.seq;
    this.#fsync = fsync;
    this.#diagnostics = diagnostics;
  }

  /**
   * Opens (creating it when missing) the log in `dir`. A torn final line, left by a crash in
   * the middle of a write, was never acknowledged: it is cut off, and said so.
   */
  static async open(dir: string, eventDataStoreArn: string, options: { fsync: boolean; diagnostics: Diagnostics }): Promise<EventLog> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, LOG_FILE);
    const created = !exists(path);
    const handle = await open(path, 'a+', 0o600);
    try {
      if (created) {
        syncDirectory(dir);
        syncDirectory(join(dir, '..'));
      }
      const tail = readTail(path);
      if (tail.tornBytes > 0) {
        await handle.truncate(tail.bytes);
        await handle.sync();
        options.diagnostics.warn(
          `auditlake: ${path} ended in an incomplete record (${tail.tornBytes} bytes, a write cut short by a crash; never acknowledged); it was removed`,
        );
      }
      const state = tail.last === undefined ? { seq: 0, head: genesisHash(eventDataStoreArn), bytes: tail.bytes } : lastState(path, tail.last, tail.bytes);
      return new EventLog(dir, handle, state, options.fsync, options.diagnostics);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Events in the log, acknowledged or about to be. */
  get seq(): number {
    return this.#seq;
  }

  /** Bytes of the log that are durable. */
  get committedBytes(): number {
    return this.#committedBytes;
  }

  /**
   * Chains and queues records (`seq` is assigned here, in call order), and resolves when they
   * are durable. Rejects, for these and all later appends, if the disk refuses a write.
   */
  append(records: Omit<StoredRecord, 'seq'>[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    for (const record of records) {
      const seq = ++this.#seq;
      const json = recordJson(seq, record);
      this.#head = chainHash(this.#head, json);
      this.#pending.push(frameLine(this.#head, json));
    }
    const done = new Promise<void>((resolve, reject) => this.#pendingWaiters.push({ resolve, reject }));
    this.#writing ??= this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failure) {
        const lines = this.#pending;
        const waiters = this.#pendingWaiters;
        const seq = this.#seq;
        const head = this.#head;
        this.#pending = [];
        this.#pendingWaiters = [];
        const buffer = Buffer.from(lines.join(''), 'utf8');
        try {
          let offset = 0;
          while (offset < buffer.length) {
            const { bytesWritten } = await this.#handle.write(buffer, offset, buffer.length - offset);
            offset += bytesWritten;
          }
          if (this.#fsync) await this.#handle.datasync();
        } catch (error) {
          // What reached the disk is unknown now; stop rather than chain onto an unknown state.
          this.#failure = new Error(`cannot write ${join(this.dir, LOG_FILE)}: ${(error as Error).message}`, { cause: error });
          this.#diagnostics.error(`auditlake: ${this.#failure.message}; the store refuses writes until restarted`);
          for (const waiter of [...waiters, ...this.#pendingWaiters]) waiter.reject(this.#failure);
          this.#pendingWaiters = [];
          this.#pending = [];
          return;
        }
        this.#committedBytes += buffer.length;
        for (const waiter of waiters) waiter.resolve();
        // `seq`/`head` here are those of the last line just written only if nothing was
        // appended meanwhile; checkpoint only then, so a checkpoint never runs ahead of the disk.
        if (this.#pending.length === 0 && seq === this.#seq) await this.#checkpoint(seq, head, false);
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #checkpoint(seq: number, head: string, force: boolean): Promise<void> {
    if (seq === this.#checkpointedSeq) return;
    const now = Date.now();
    if (!force && now - this.#lastCheckpointAt < CHECKPOINT_INTERVAL_MS) return;
    this.#lastCheckpointAt = now;
    this.#checkpointedSeq = seq;
    const checkpoint: Checkpoint = { seq, hash: head, bytes: this.#committedBytes, time: new Date(now).toISOString() };
    try {
      await appendFile(join(this.dir, DIGEST_FILE), `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
    } catch (error) {
      this.#diagnostics.warn(`auditlake: cannot write a checkpoint to ${join(this.dir, DIGEST_FILE)}: ${(error as Error).message}`);
    }
  }

  /** Waits for pending writes, writes a final checkpoint, and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#writing) await this.#writing.catch(() => undefined);
    try {
      if (!this.#failure) await this.#checkpoint(this.#seq, this.#head, true);
    } finally {
      await this.#handle.close();
    }
  }
}

function recordJson(seq: number, r: Omit<StoredRecord, 'seq'>): string {
  // A fixed key order: the text is what is hashed and what verify re-reads.
  const record: StoredRecord = {
    seq,
    eventVersion: r.eventVersion,
    eventCategory: r.eventCategory,
    eventType: r.eventType,
    eventID: r.eventID,
    eventTime: r.eventTime,
    awsRegion: r.awsRegion,
    recipientAccountId: r.recipientAccountId,
    metadata: { ingestionTime: r.metadata.ingestionTime, channelARN: r.metadata.channelARN },
    id: r.id,
    eventData: r.eventData,
  };
  return JSON.stringify(record);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A new file's name is durable only once its directory is synced. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the data itself is still synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The last complete line of a log, its size up to that line, and how many bytes follow it. */
export function readTail(path: string): { last: string | undefined; bytes: number; tornBytes: number } {
  const size = statSync(path).size;
  if (size === 0) return { last: undefined, bytes: 0, tornBytes: 0 };
  const fd = openSync(path, 'r');
  try {
    let window = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - window);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline === -1 && start > 0) {
        window *= 4;
        continue;
      }
      if (lastNewline === -1) return { last: undefined, bytes: 0, tornBytes: size };
      const bytes = start + lastNewline + 1;
      const previousNewline = buffer.lastIndexOf(0x0a, lastNewline - 1);
      if (previousNewline === -1 && start > 0) {
        window *= 4;
        continue;
      }
      const last = buffer.subarray(previousNewline + 1, lastNewline).toString('utf8');
      return { last, bytes, tornBytes: size - bytes };
    }
  } finally {
    closeSync(fd);
  }
}

function lastState(path: string, line: string, bytes: number): { seq: number; head: string; bytes: number } {
  const framed = unframeLine(line);
  let seq: unknown;
  if (typeof framed !== 'string') {
    try {
      seq = (JSON.parse(framed.recordJson) as { seq?: unknown }).seq;
    } catch {
      seq = undefined;
    }
  }
  if (typeof framed === 'string' || typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    throw new Error(`the last record of ${path} is damaged, so the hash chain cannot be continued; run "auditlake verify" on this data directory`);
  }
  return { seq, head: framed.hash, bytes };
}
