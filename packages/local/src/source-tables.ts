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
import { openColumnarCopy, segmentFileName, writeManifest, type Segment } from './columnar-copy.js';
import { syncDirectory } from './log-files.js';
import { fileSize, lastLine, lineIdentity, readLines, wellFormedLines } from './log-reader.js';
import type { TableSource } from './table-sources.js';

/** Rows per columnar segment (and the most a tail table holds before it becomes one). */
export const SEGMENT_ROWS = 50_000;
/** Log bytes staged into DuckDB per step. */
const LOAD_CHUNK_BYTES = 32 * 1024 * 1024;
export const INTERNAL_SCHEMA = 'auditlake_internal';

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

  private constructor(source: TableSource, context: MaintenanceContext, segments: Segment[], tail: TailTable) {
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
      context.diagnostics.warn(`auditlake: the columnar copy of ${source.name} is rebuilt from the log from ${copy.segments.length} segments on: ${copy.problem}`);
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

  /** Reads what the log gained since the last call (complete lines only); stops early once `stop()` was called. */
  async sync(): Promise<void> {
    while (!this.#stopping) {
      const { lines, bytes } = await readLines(this.source.logPath, this.#loadedBytes, LOAD_CHUNK_BYTES);
      if (bytes === 0) break;
      await this.#insert(lines);
      this.#loadedBytes += bytes;
      this.#last = lineIdentity(lastLine(lines)) ?? this.#last;
      if (this.#tail.rows >= this.#context.segmentRows) await this.flush();
    }
    await this.#dropRetired();
  }

  /** Turns the tail into a segment (of the columnar copy, or of a reader's scratch directory). */
  async flush(): Promise<void> {
    const last = this.#last;
    if (this.#tail.rows === 0 || last === undefined) return;
    const previous = this.#segments.at(-1);
    const file = segmentFileName((previous?.lastSeq ?? 0) + 1, last.seq);
    const dir = this.#context.writable ? this.source.columnarDir : join(this.#context.scratchDir, this.#context.tableName());
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    const partial = `${path}.partial`;
    await this.#context.connection.run(`COPY ${this.#tail.name} TO ${sqlString(partial)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${this.#context.segmentRows})`);
    const segment: Segment = {
      file,
      firstSeq: (previous?.lastSeq ?? 0) + 1,
      lastSeq: last.seq,
      rows: this.#tail.rows,
      startBytes: previous?.endBytes ?? 0,
      endBytes: this.#loadedBytes,
      endHash: last.hash,
      fileBytes: 0,
    };
    renameSync(partial, path);
    segment.fileBytes = statSync(path).size;
    // The segment is not fsynced (a big fsync would stall the log's own, which acknowledgements
    // wait for); a segment lost or torn by a power cut fails its check at the next start, and is
    // rebuilt from the log.
    if (this.#context.writable) {
      syncDirectory(dir);
      writeManifest(dir, this.source.identity, [...this.#segments, segment]);
    }
    this.#segments = [...this.#segments, segment];
    this.#paths.set(segment, path);
    this.#tail.retired = true;
    this.#retiredTails.push(this.#tail);
    this.#tail = await createTail(this.source, this.#context);
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
    if (this.#context.writable && this.#tail.rows >= this.#context.segmentRows / 10) await this.flush();
  }

  async #insert(lines: Buffer): Promise<void> {
    const staged = join(this.#context.stageDir, `${this.#context.tableName()}.jsonl`);
    await writeFile(staged, wellFormedLines(lines));
    try {
      const { count: expected, longest } = lineStats(lines);
      const result = await this.#context.connection.run(`INSERT INTO ${this.#tail.name} ${this.source.schema.stageSelect(sqlString(staged), longest)}`);
      this.#tail.rows += result.rowsChanged;
      if (result.rowsChanged < expected) {
        this.#context.diagnostics.warn(`auditlake: ${expected - result.rowsChanged} damaged records of ${this.source.name} were left out of SQL; run "auditlake verify" to locate them`);
      }
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

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
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
