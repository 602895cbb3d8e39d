/**
 * One source's rows inside DuckDB: the segments of its columnar copy (Parquet files, read in
 * place) and a tail table in memory with what the log holds beyond them. The log is read
 * incrementally; a writable copy turns the tail into a new segment whenever it reaches
 * SEGMENT_ROWS, so memory holds at most one segment's worth of rows per source, and a restart
 * only re-reads the log after the last segment.
 *
 * A reader (`auditlake query` beside a server, or on a stopped lake) uses the segments that
 * still match the log, and writes any further ones to a scratch directory of its own.
 *
 * Every method runs on the engine's maintenance connection, one at a time (the engine
 * serializes them). Queries read a snapshot (`snapshot()`), which keeps its tail table alive
 * until released, so a segment swap never takes rows from under a running query.
 */
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Diagnostics } from '@auditlake/core';
import { MANIFEST_FILE, openColumnarCopy, segmentFileName, writeManifest, type Segment } from './columnar-copy.js';
import { fileSize, lastLine, lineIdentity, readLines, wellFormedLines } from './log-reader.js';
import type { TableSource } from './table-sources.js';

/** Rows per columnar segment (and the most a tail table holds before it becomes one). */
export const SEGMENT_ROWS = 50_000;
/** Log bytes staged into DuckDB per step. */
const LOAD_CHUNK_BYTES = 32 * 1024 * 1024;
/** Log that makes a segment of its own (the keeper waits until a log is this far beyond its copy). */
export const FULL_CHUNK_BYTES = LOAD_CHUNK_BYTES / 2;
export const INTERNAL_SCHEMA = 'auditlake_internal';
const PARQUET = 'FORMAT parquet, COMPRESSION snappy';

export interface MaintenanceContext {
  connection: DuckDBConnection;
  /** A private directory DuckDB may read staged files from. */
  stageDir: string;
  diagnostics: Diagnostics;
  /**
   * Whether this process keeps the columnar copy (the server), or only reads it
   * (`auditlake query`): a reader's new segments go to `scratchDir`, and vanish with it.
   */
  writable: boolean;
  scratchDir: string;
  /** A new internal table name. */
  tableName: () => string;
  /** Rows per columnar segment. */
  segmentRows: number;
  /**
   * The columnar keeper's mode (a writable copy, nothing held in memory): only full chunks of
   * log are read, each becoming a segment; the rest waits for more log, or for the server.
   */
  segmentsOnly?: boolean;
}

interface TailTable {
  name: string;
  rows: number;
  leases: number;
  retired: boolean;
}

/** What one query reads of a source; release it when the query is done. */
export interface SourceSnapshot {
  viewSql(cutoffSql: string): string;
  rows: number;
  logBytes: number;
  release(): void;
}

export class SourceTables {
  readonly source: TableSource;
  readonly #context: MaintenanceContext;
  #segments: Segment[];
  /** Where each segment's file is (the copy's directory, or a reader's scratch directory). */
  readonly #paths = new Map<Segment, string>();
  #tail: TailTable;
  /** Log bytes read into segments and the tail. */
  #loadedBytes: number;
  /** `seq` and hash of the last line read (what a segment's end is checked by). */
  #last: { seq: number; hash: string } | undefined;
  readonly #retiredTails: TailTable[] = [];
  #stopping = false;

  /** The manifest's modification time when last read (a reader adopts what the keeper added since). */
  #manifestTime: number;

  private constructor(source: TableSource, context: MaintenanceContext, segments: Segment[], tail: TailTable) {
    this.#manifestTime = manifestTime(source.columnarDir);
    this.source = source;
    this.#context = context;
    this.#segments = segments;
    for (const segment of segments) this.#paths.set(segment, join(source.columnarDir, segment.file));
    this.#tail = tail;
    const last = segments.at(-1);
    this.#loadedBytes = last?.endBytes ?? 0;
    this.#last = last === undefined ? undefined : { seq: last.lastSeq, hash: last.endHash };
  }

  static async open(source: TableSource, context: MaintenanceContext): Promise<SourceTables> {
    const copy = openColumnarCopy(source.columnarDir, source.logPath, source.identity, context.writable);
    if (copy.problem !== undefined) {
      // The writer says it once; a reader just reads the log instead.
      const message = `auditlake: the columnar copy of ${source.name} is rebuilt from the log from ${copy.segments.length} segments on: ${copy.problem}`;
      if (context.writable) context.diagnostics.warn(message);
      else context.diagnostics.debug(message);
    }
    const tail = await createTail(source, context);
    const last = copy.segments.at(-1);
    context.diagnostics.debug(
      `auditlake: ${source.name}: ${copy.segments.length} columnar segments (${copy.segments.reduce((sum, s) => sum + s.rows, 0)} events); reading its log from byte ${last?.endBytes ?? 0}`,
    );
    return new SourceTables(source, context, copy.segments, tail);
  }

  /** Whether the log holds at least `bytes` more than has been read. */
  behindBy(bytes: number): boolean {
    return fileSize(this.source.logPath) - this.#loadedBytes >= bytes;
  }

  /**
   * Reads what the log gained since the last call (complete lines only); stops early once
   * `stop()` was called. A keeper of the copy turns a full chunk straight into a segment
   * (DuckDB reads the staged lines once and writes Parquet); smaller reads go to the tail.
   */
  async sync(): Promise<void> {
    if (!this.#context.writable) await this.#adoptCopy();
    while (!this.#stopping) {
      const { lines, bytes } = await readLines(this.source.logPath, this.#loadedBytes, LOAD_CHUNK_BYTES);
      if (bytes === 0) break;
      const last = lineIdentity(lastLine(lines)) ?? this.#last;
      const full = bytes >= FULL_CHUNK_BYTES;
      if (this.#context.segmentsOnly === true && !full) break;
      if (this.#context.writable && this.#tail.rows === 0 && full && last !== undefined) {
        const named = (select: string) => `SELECT * FROM (${select}) AS staged(${columnNames(this.source.schema.tableColumns).join(', ')})`;
        await this.#addSegment(last, bytes, (partial) => this.#staged(lines, (select) => this.#context.connection.run(`COPY (${named(select)}) TO ${sqlString(partial)} (${PARQUET})`)));
      } else {
        this.#tail.rows += await this.#staged(lines, (select) => this.#context.connection.run(`INSERT INTO ${this.#tail.name} ${select}`));
        this.#loadedBytes += bytes;
        this.#last = last;
        if (this.#tail.rows >= this.#context.segmentRows) await this.flush();
      }
    }
    await this.#dropRetired();
  }

  /**
   * A reader (the server, `auditlake query`) takes the segments the keeper wrote since it last
   * looked, once they cover everything the reader holds: its tail and scratch segments go, and
   * it reads on from the copy's end.
   */
  async #adoptCopy(): Promise<void> {
    const time = manifestTime(this.source.columnarDir);
    if (time === this.#manifestTime) return;
    this.#manifestTime = time;
    const copy = openColumnarCopy(this.source.columnarDir, this.source.logPath, this.source.identity, false);
    const end = copy.segments.at(-1);
    if (end === undefined || end.endBytes < this.#loadedBytes || end.endBytes <= (this.#segments.at(-1)?.endBytes ?? 0)) return;
    this.#segments = copy.segments;
    this.#paths.clear();
    for (const segment of copy.segments) this.#paths.set(segment, join(this.source.columnarDir, segment.file));
    this.#loadedBytes = end.endBytes;
    this.#last = { seq: end.lastSeq, hash: end.endHash };
    this.#tail.retired = true;
    this.#retiredTails.push(this.#tail);
    this.#tail = await createTail(this.source, this.#context);
  }

  /** Turns the tail into a segment (of the columnar copy, or of a reader's scratch directory). */
  async flush(): Promise<void> {
    const last = this.#last;
    if (this.#tail.rows === 0 || last === undefined) return;
    const rows = this.#tail.rows;
    await this.#addSegment(last, 0, async (partial) => {
      await this.#context.connection.run(`COPY ${this.#tail.name} TO ${sqlString(partial)} (${PARQUET})`);
      return rows;
    });
    this.#tail.retired = true;
    this.#retiredTails.push(this.#tail);
    this.#tail = await createTail(this.source, this.#context);
  }

  /**
   * Adds a segment ending at the log line `last`, `bytes` further than what was read so far;
   * `write` writes the Parquet file to the path it is given and returns its row count.
   */
  async #addSegment(last: { seq: number; hash: string }, bytes: number, write: (partial: string) => Promise<number>): Promise<void> {
    const previous = this.#segments.at(-1);
    const file = segmentFileName((previous?.lastSeq ?? 0) + 1, last.seq);
    const dir = this.#context.writable ? this.source.columnarDir : join(this.#context.scratchDir, this.#context.tableName());
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    const partial = `${path}.partial`;
    const rows = await write(partial);
    renameSync(partial, path);
    this.#loadedBytes += bytes;
    this.#last = last;
    const segment: Segment = {
      file,
      firstSeq: (previous?.lastSeq ?? 0) + 1,
      lastSeq: last.seq,
      rows,
      startBytes: previous?.endBytes ?? 0,
      endBytes: this.#loadedBytes,
      endHash: last.hash,
      fileBytes: statSync(path).size,
    };
    // Nothing here is fsynced (that would stall the log's own fsyncs, which acknowledgements
    // wait for): a segment or manifest lost or torn by a power cut fails its check at the next
    // start, and that part of the copy is rebuilt from the log.
    if (this.#context.writable) writeManifest(dir, this.source.identity, [...this.#segments, segment]);
    this.#segments = [...this.#segments, segment];
    this.#paths.set(segment, path);
  }

  snapshot(): SourceSnapshot {
    const tail = this.#tail;
    const files = this.#segments.map((segment) => this.#paths.get(segment) as string);
    const columns = this.source.schema.publicColumns;
    tail.leases++;
    let released = false;
    return {
      rows: this.#segments.reduce((sum, segment) => sum + segment.rows, 0) + tail.rows,
      logBytes: this.#loadedBytes,
      viewSql(cutoffSql) {
        const parts = [`SELECT ${columns} FROM ${tail.name} WHERE __ingested >= ${cutoffSql}`];
        if (files.length > 0) parts.unshift(`SELECT ${columns} FROM read_parquet([${files.map(sqlString).join(', ')}]) WHERE __ingested >= ${cutoffSql}`);
        return parts.join(' UNION ALL ');
      },
      release: () => {
        if (released) return;
        released = true;
        tail.leases--;
      },
    };
  }

  /** Makes a running `sync()` stop after the step it is in (the lake is closing). */
  stop(): void {
    this.#stopping = true;
  }

  /** Drops the tables from memory (the source is gone); the columnar copy stays on disk. */
  async drop(): Promise<void> {
    this.#stopping = true;
    for (const tail of [this.#tail, ...this.#retiredTails]) await this.#context.connection.run(`DROP TABLE IF EXISTS ${tail.name}`);
    this.#retiredTails.length = 0;
  }

  /** Saves a tail worth a segment, so that the next start reads little of the log (a small one is cheaper to re-read than to keep as a file). */
  async close(): Promise<void> {
    if (this.#context.writable && this.#context.segmentsOnly !== true && this.#tail.rows >= this.#context.segmentRows / 10) await this.flush();
  }

  /** Stages lines in a file DuckDB may read, runs `use` with the SELECT of their rows, and returns how many rows it took. */
  async #staged(lines: Buffer, use: (select: string) => Promise<{ rowsChanged: number }>): Promise<number> {
    const staged = join(this.#context.stageDir, `${this.#context.tableName()}.jsonl`);
    await writeFile(staged, wellFormedLines(lines));
    try {
      const { count: expected, longest } = lineStats(lines);
      const { rowsChanged } = await use(this.source.schema.stageSelect(sqlString(staged), longest));
      if (rowsChanged < expected) {
        this.#context.diagnostics.warn(`auditlake: ${expected - rowsChanged} damaged records of ${this.source.name} were left out of SQL; run "auditlake verify" to locate them`);
      }
      return rowsChanged;
    } finally {
      await rm(staged, { force: true });
    }
  }

  async #dropRetired(): Promise<void> {
    for (const tail of [...this.#retiredTails]) {
      if (tail.leases > 0) continue;
      await this.#context.connection.run(`DROP TABLE IF EXISTS ${tail.name}`);
      this.#retiredTails.splice(this.#retiredTails.indexOf(tail), 1);
    }
  }
}

async function createTail(source: TableSource, context: MaintenanceContext): Promise<TailTable> {
  const name = `${INTERNAL_SCHEMA}.${context.tableName()}`;
  await context.connection.run(`CREATE TABLE ${name} (${source.schema.tableColumns})`);
  return { name, rows: 0, leases: 0, retired: false };
}

function manifestTime(dir: string): number {
  try {
    return statSync(join(dir, MANIFEST_FILE)).mtimeMs;
  } catch {
    return 0;
  }
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The column names of a column list (`a INT, b STRUCT(x INT, y INT)` → a, b). */
export function columnNames(columns: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= columns.length; i++) {
    const c = columns[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || c === undefined) {
      names.push((columns.slice(start, i).trim().split(/\s+/)[0] as string));
      start = i + 1;
    }
  }
  return names;
}

function lineStats(buffer: Buffer): { count: number; longest: number } {
  let count = 0;
  let longest = 0;
  let start = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) {
    count++;
    longest = Math.max(longest, i - start);
    start = i + 1;
  }
  return { count, longest };
}
