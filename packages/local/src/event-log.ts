/**
 * The append-only, hash-chained log of one event data store (`events.jsonl`), with group
 * commit: appends that arrive while a write+fsync is in flight are written and synced together
 * in the next one, so concurrent requests share fsyncs. An append resolves only once its lines
 * are on disk and `head.json` names them (see chain-head.ts), so every acknowledged record is
 * covered by the head; checkpoints of the chain go to `digest.jsonl` at most once a second.
 *
 * A failed write (a full disk) fails the appends of that commit only: what reached the file is
 * cut off again and the next commit starts from the last good state, so the lake writes again
 * as soon as space returns, without a restart.
 */
import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostics } from '@auditlake/core';
import { HEAD_FILE, readHead, writeHead } from './chain-head.js';
import { exists, isNextRecordWithoutNewline, lastState, readTail, syncDirectory } from './log-files.js';
import { frameLines, genesisHash, lakeRecordText, type NewRecord, type RecordText } from './stored-event.js';

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

/** Largest commit buffer a log keeps for the next commit. */
const MAX_SCRATCH_BYTES = 16 * 1024 * 1024;

/** The text of record `seq` as it is hashed and written; it must start with `{"seq":<seq>`. */
export type RecordSerializer<R> = (seq: number, record: R) => RecordText;

/** Where an append's records went. */
export interface AppendedRecords {
  /** `seq` of the first record. */
  firstSeq: number;
  /** Byte offset of each record's line in the log. */
  offsets: number[];
}

interface Pending<R> {
  records: R[];
  resolve: (appended: AppendedRecords) => void;
  reject: (error: Error) => void;
}

interface State {
  seq: number;
  hash: string;
  bytes: number;
}

/**
 * By default a log holds CloudTrail Lake records (stored-event.ts); another kind of record (a
 * CloudWatch Logs log event) comes with its own serializer.
 */
export class EventLog<R = NewRecord> {
  readonly dir: string;
  readonly #handle: FileHandle;
  readonly #headHandle: FileHandle;
  readonly #fsync: boolean;
  readonly #diagnostics: Diagnostics;
  readonly #since: number;
  #headSlot: number;
  #committed: State;
  readonly #serialize: RecordSerializer<R>;
  /** The buffer commits are framed in. */
  #scratch: Buffer | undefined;
  #queue: Pending<R>[] = [];
  #writing: Promise<void> | undefined;
  /** Bytes past the committed state may be in the file (a failed write not yet cut off). */
  #damaged = false;
  /** The message of the write failure going on, if any: reported once, and its end too. */
  #failing: string | undefined;
  #lastCheckpointAt = 0;
  #checkpointedSeq: number;
  #closed = false;

  private constructor(
    dir: string,
    handles: { log: FileHandle; head: FileHandle },
    state: State,
    head: { since: number; slot: number },
    options: { fsync: boolean; diagnostics: Diagnostics; serialize: RecordSerializer<R> },
  ) {
    this.dir = dir;
    this.#serialize = options.serialize;
    this.#handle = handles.log;
    this.#headHandle = handles.head;
    this.#committed = state;
    this.#checkpointedSeq = state.seq;
    this.#since = head.since;
    this.#headSlot = head.slot;
    this.#fsync = options.fsync;
    this.#diagnostics = options.diagnostics;
  }

  /**
   * Opens (creating it when missing) the log in `dir`. A torn final line, left by a crash in
   * the middle of a write, was never acknowledged: it is cut off, and said so. A final record
   * that only lost its newline gets it back. Records the head says were acknowledged but that
   * are gone from the end are never passed over: the log does not open.
   */
  static async open<R = NewRecord>(
    dir: string,
    eventDataStoreArn: string,
    options: { fsync: boolean; diagnostics: Diagnostics; serialize?: RecordSerializer<R> },
  ): Promise<EventLog<R>> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, LOG_FILE);
    const headPath = join(dir, HEAD_FILE);
    const created = !exists(path);
    const handle = await open(path, 'a+', 0o600);
    let headHandle: FileHandle | undefined;
    try {
      if (created) {
        syncDirectory(dir);
        syncDirectory(join(dir, '..'));
      }
      const stored = readHead(headPath);
      if (typeof stored === 'string') throw new Error(`${headPath} is damaged (${stored}); run "auditlake verify" on this data directory`);
      const tail = readTail(path);
      let state: State = tail.last === undefined ? { seq: 0, hash: genesisHash(eventDataStoreArn), bytes: 0 } : lastState(path, tail.last, tail.bytes);
      if (tail.tornBytes > 0) {
        const whole = isNextRecordWithoutNewline(tail.fragment, state);
        if (whole) {
          await handle.appendFile('\n');
          await handle.sync();
          state = { seq: whole.seq, hash: whole.hash, bytes: tail.bytes + tail.tornBytes + 1 };
          options.diagnostics.warn(`auditlake: the last record of ${path} (record ${whole.seq}) had lost its final newline; it was restored`);
        } else if (stored && stored.head.seq > state.seq) {
          throw missingRecords(path, state.seq, stored.head.seq);
        } else {
          await handle.truncate(tail.bytes);
          await handle.sync();
          options.diagnostics.warn(`auditlake: ${path} ended in an incomplete record (${tail.tornBytes} bytes, a write cut short by a crash; never acknowledged); it was removed`);
        }
      }
      if (stored && stored.head.seq > state.seq) throw missingRecords(path, state.seq, stored.head.seq);
      if (stored && stored.head.seq === state.seq && stored.head.hash !== state.hash) {
        throw new Error(`the last record of ${path} does not match ${HEAD_FILE}: it was altered; run "auditlake verify" on this data directory`);
      }
      const since = stored?.head.since ?? state.seq;
      let slot = stored?.slot ?? 1;
      headHandle = await open(headPath, stored ? 'r+' : 'w+', 0o600);
      if (!stored || stored.head.seq < state.seq) {
        if (!stored && state.seq > 0) {
          options.diagnostics.warn(`auditlake: ${headPath} was missing; it was rebuilt from the log's ${state.seq} records, which it covers from now on but does not vouch for (verify says so)`);
        } else if (stored) {
          options.diagnostics.warn(`auditlake: ${headPath} was ${state.seq - stored.head.seq} records behind the log (a power loss before it was synced); it was brought up to date`);
        }
        slot = await writeHead(headHandle, { ...state, since }, slot);
        await headHandle.sync();
        if (!stored) syncDirectory(dir);
      }
      const serialize = (options.serialize ?? lakeRecordText) as RecordSerializer<R>;
      return new EventLog<R>(dir, { log: handle, head: headHandle }, state, { since, slot }, { ...options, serialize });
    } catch (error) {
      await headHandle?.close();
      await handle.close();
      throw error;
    }
  }

  /** Records acknowledged. */
  get seq(): number {
    return this.#committed.seq;
  }

  /** Bytes of the log that are durable and acknowledged. */
  get committedBytes(): number {
    return this.#committed.bytes;
  }

  /**
   * Queues records (`seq` is assigned in call order when they are written) and resolves when
   * they are durable and covered by the head. Rejects when the disk refuses the write; later
   * appends try again.
   */
  append(records: R[]): Promise<AppendedRecords> {
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    const done = new Promise<AppendedRecords>((resolve, reject) => this.#queue.push({ records, resolve, reject }));
    this.#writing ??= this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        let offsets: number[];
        try {
          if (this.#damaged) await this.#cutBack();
          const committed = await this.#commit(batch.flatMap((pending) => pending.records));
          offsets = committed.offsets;
          this.#committed = committed.state;
        } catch (error) {
          const failure = new Error(`cannot write ${join(this.dir, LOG_FILE)}: ${(error as Error).message}`, { cause: error });
          this.#reportFailure(failure.message);
          for (const pending of batch) pending.reject(failure);
          await this.#cutBack().catch(() => undefined);
          continue;
        }
        if (this.#failing !== undefined) {
          this.#diagnostics.warn(`auditlake: ${join(this.dir, LOG_FILE)} is written again (after: ${this.#failing})`);
          this.#failing = undefined;
        }
        let seq = this.#committed.seq - offsets.length + 1;
        let at = 0;
        for (const pending of batch) {
          pending.resolve({ firstSeq: seq, offsets: offsets.slice(at, at + pending.records.length) });
          seq += pending.records.length;
          at += pending.records.length;
        }
        await this.#checkpoint(false);
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** Writes, syncs and heads one group of records; the returned state is what is acknowledged. */
  async #commit(records: R[]): Promise<{ state: State; offsets: number[] }> {
    let seq = this.#committed.seq;
    const framed = frameLines(this.#committed.hash, records.map((record) => this.#serialize(++seq, record)), this.#scratch);
    const { buffer, hash } = framed;
    // Kept for the next commit (commits run one at a time); a buffer per commit, three times the
    // size of its text, grew the lake's RSS by hundreds of MiB between collections. The buffer
    // of an exceptionally large commit (a burst of many clients) is not kept.
    if (framed.scratch.length <= MAX_SCRATCH_BYTES) this.#scratch = framed.scratch;
    const offsets = framed.offsets.map((offset) => offset + this.#committed.bytes);
    this.#damaged = true;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.#handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    if (this.#fsync) await this.#handle.datasync();
    const state = { seq, hash, bytes: this.#committed.bytes + buffer.length };
    this.#headSlot = await writeHead(this.#headHandle, { ...state, since: this.#since }, this.#headSlot);
    this.#damaged = false;
    return { state, offsets };
  }

  /** Cuts the log back to the last acknowledged record. */
  async #cutBack(): Promise<void> {
    await this.#handle.truncate(this.#committed.bytes);
    if (this.#fsync) await this.#handle.datasync();
    this.#damaged = false;
  }

  #reportFailure(message: string): void {
    if (this.#failing === undefined) {
      this.#diagnostics.error(`auditlake: ${message}; the events of that request were not stored, and the next requests try again`);
      this.#failing = message;
    } else {
      this.#diagnostics.debug(`auditlake: ${message}`);
    }
  }

  async #checkpoint(force: boolean): Promise<void> {
    const { seq, hash, bytes } = this.#committed;
    if (seq === this.#checkpointedSeq) return;
    const now = Date.now();
    if (!force && now - this.#lastCheckpointAt < CHECKPOINT_INTERVAL_MS) return;
    this.#lastCheckpointAt = now;
    this.#checkpointedSeq = seq;
    const checkpoint: Checkpoint = { seq, hash, bytes, time: new Date(now).toISOString() };
    try {
      if (this.#fsync) await this.#headHandle.datasync();
      await appendFile(join(this.dir, DIGEST_FILE), `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
    } catch (error) {
      this.#diagnostics.warn(`auditlake: cannot write a checkpoint to ${join(this.dir, DIGEST_FILE)}: ${(error as Error).message}`);
    }
  }

  /** Waits for pending writes, writes a final checkpoint, and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#writing) await this.#writing.catch(() => undefined);
    try {
      await this.#checkpoint(true);
      await this.#headHandle.sync().catch(() => undefined);
    } finally {
      await this.#headHandle.close();
      await this.#handle.close();
    }
  }
}

function missingRecords(path: string, have: number, acknowledged: number): Error {
  return new Error(
    `${path} ends after record ${have}, but ${HEAD_FILE} says ${acknowledged} records were acknowledged: records ${have + 1}-${acknowledged} are missing or damaged at the end. ` +
      `The lake does not start on it, so that nothing more is lost; run "auditlake verify" on this data directory.`,
  );
}
