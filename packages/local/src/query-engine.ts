/**
 * SQL over the lake with an embedded DuckDB. Each source (an event data store) is a table of
 * its CloudTrail Lake schema, read from the source's columnar copy and the tail of its log
 * (source-tables.ts); each query sees it through a temporary view of its own connection,
 * named as the query names it, with the retention cut-off of that moment.
 *
 * - A statement is checked when prepared, without loading anything: parsed, its parse tree
 *   checked (sql-guard.ts), and bound against empty tables of the right schema, so a bad
 *   statement fails StartQuery itself.
 * - Queries run concurrently, each on its own connection, up to `maxRunningQueries`; more wait
 *   in order of arrival. Loading the log (and writing the columnar copy) happens on one
 *   maintenance connection, one step at a time.
 * - DuckDB gets a memory limit, a private spill directory, and no file access beyond the
 *   engine's own directories, locked before any query runs (sql-instance.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Diagnostics } from '@auditlake/core';
import { AwsServiceError, invalidQuery } from './aws-error.js';
import { oneLineMessage, statementError } from './query-errors.js';
import { eventsMatched } from './query-profile.js';
import { QuerySlots } from './query-slots.js';
import { INTERNAL_SCHEMA, SEGMENT_ROWS, SourceTables, sqlString, type SourceSnapshot } from './source-tables.js';
import { guardStatement, parseTree, parseTreeText } from './sql-guard.js';
import { applyTrinoSemantics } from './sql-transform.js';
import { firstKeyword, rewriteQuery } from './sql-rewrite.js';
import { openSqlInstance, removeSqlDirs, type SqlDirs } from './sql-instance.js';
import { convertRows, type JsonValue } from './sql-values.js';
import type { TableSource } from './table-sources.js';

/** The shape `lake-store.ts` builds for the engine before table-sources.ts; kept for it, unused here. */
export interface QueryEngineOptions {
  /** The sources, read at each statement (new stores appear as they are created). */
  sources: () => readonly TableSource[];
  now: () => number;
  diagnostics: Diagnostics;
  /** The directory holding every source's columnar copy. */
  columnarRoot: string;
  /** Keep the columnar copies up to date (the server), or only read them (`auditlake query`). */
  writable: boolean;
  memoryLimitMb: number;
  maxRunningQueries: number;
  /** Rows per columnar segment. @default SEGMENT_ROWS */
  segmentRows?: number;
  /** The columnar keeper's mode: write full chunks of log as segments, hold nothing in memory (see source-tables.ts). */
  segmentsOnly?: boolean;
}

export interface PreparedQuery {
  /** As given. */
  statement: string;
  /** As DuckDB runs it. */
  sql: string;
  /** The sources the statement names. */
  tables: string[];
}

export interface RunOptions {
  /** More rows than this is an error (`QueryResultsTooLarge`), or with `truncate`, the rest is dropped. */
  maxRows: number;
  /** Return the first `maxRows` rows (and `truncated: true`) rather than fail. */
  truncate?: boolean;
  /** Rows are handed over as they come, in chunks, instead of being kept in `rows`. */
  onRows?: (rows: (JsonValue | string | null)[][], columns: string[]) => void;
  /** `json`: JSON-friendly values (`query()`, the CLI); `strings`: GetQueryResults strings. */
  format: 'json' | 'strings';
  /** With `strings`: a result larger than this (in UTF-16 bytes of its strings) is an error. */
  maxBytes?: number;
  /** Aborting interrupts the query (or takes it out of the queue); the reason is rethrown. */
  signal?: AbortSignal;
  /** Called when the query leaves the queue and starts running. */
  onStart?: () => void;
}

export interface QueryResult {
  columns: string[];
  rows: (JsonValue | string | null)[][];
  /** Rows in the result (also those handed to `onRows`). */
  rowCount: number;
  /** Whether rows beyond `maxRows` were dropped (`truncate`). */
  truncated: boolean;
  /** Events that matched the query (see query-profile.ts). */
  eventsMatched: number;
  /** Events in the sources the query names, and the log bytes behind them. */
  eventsScanned: number;
  bytesScanned: number;
  executionTimeMs: number;
  /** Size estimate of `rows` in memory. */
  bytes: number;
}

const DAY_MS = 86_400_000;

export class QueryEngine {
  readonly #instance: DuckDBInstance;
  readonly #maintenance: DuckDBConnection;
  readonly #checker: DuckDBConnection;
  readonly #privateDir: string;
  /** Where log lines are staged for DuckDB: in memory (/dev/shm) where there is such a place. */
  readonly #stageDir: string;
  readonly #options: QueryEngineOptions;
  readonly #reserved: ReadonlySet<string>;
  readonly #slots: QuerySlots;
  readonly #tables = new Map<string, Promise<SourceTables>>();
  readonly #running = new Set<DuckDBConnection>();
  #checkerViews = '';
  #maintenanceTail: Promise<unknown> = Promise.resolve();
  #checkerTail: Promise<unknown> = Promise.resolve();
  #names = 0;
  #closed = false;

  private constructor(instance: DuckDBInstance, maintenance: DuckDBConnection, checker: DuckDBConnection, dirs: SqlDirs, reserved: Set<string>, options: QueryEngineOptions) {
    this.#privateDir = dirs.private;
    this.#stageDir = dirs.stage;
    this.#instance = instance;
    this.#maintenance = maintenance;
    this.#checker = checker;
    this.#reserved = reserved;
    this.#options = options;
    this.#slots = new QuerySlots(options.maxRunningQueries);
  }

  static async create(options: QueryEngineOptions): Promise<QueryEngine> {
    const sql = await openSqlInstance(options);
    return new QueryEngine(sql.instance, sql.maintenance, sql.checker, sql.dirs, sql.reserved, options);
  }

  /**
   * Checks that `statement` is one SELECT over known sources, and binds it (unknown columns and
   * functions, type errors), without reading any data.
   */
  async prepare(statement: string): Promise<PreparedQuery> {
    this.#checkOpen();
    if (typeof statement !== 'string' || statement.trim().length === 0) throw invalidQuery('The query statement is empty.');
    const keyword = firstKeyword(statement);
    if (keyword !== 'SELECT' && keyword !== 'WITH') throw invalidQuery(`Only SELECT statements are supported (this one starts with ${keyword || 'no keyword'}).`);
    const sources = this.#options.sources();
    const known = new Map(sources.map((source) => [source.name.toLowerCase(), source.name]));
    const rewritten = rewriteQuery(statement, known, this.#options.now());
    return this.#onChecker(async () => {
      const serialized = await this.#checker.runAndReadAll(`SELECT json_serialize_sql(${sqlString(rewritten.sql)})`);
      const tree = parseTree(String(serialized.getRows()[0]?.[0]));
      guardStatement(tree, { tables: new Set(known.keys()), reserved: this.#reserved });
      let sql = rewritten.sql;
      if (applyTrinoSemantics(tree)) {
        const deserialized = await this.#checker.runAndReadAll(`SELECT json_deserialize_sql(${sqlString(parseTreeText(tree))})`);
        sql = String(deserialized.getRows()[0]?.[0]);
      }
      await this.#ensureCheckerViews(sources);
      try {
        const prepared = await this.#checker.prepare(sql);
        prepared.destroySync();
      } catch (error) {
        throw statementError(error);
      }
      return { statement, sql, tables: rewritten.tables };
    });
  }

  /** Runs a query (prepared or not); it waits for its sources to be read, then for a free slot. */
  async run(query: string | PreparedQuery, options: RunOptions): Promise<QueryResult> {
    const prepared = typeof query === 'string' ? await this.prepare(query) : query;
    const tables = await Promise.all(prepared.tables.map((name) => this.#synced(name)));
    options.signal?.throwIfAborted();
    const release = await this.#slots.acquire(options.signal);
    const snapshots = tables.map((table) => table?.snapshot());
    const connection = await this.#instance.connect();
    this.#running.add(connection);
    const abort = () => connection.interrupt();
    options.signal?.addEventListener('abort', abort);
    try {
      options.onStart?.();
      return await this.#execute(connection, prepared, snapshots, options);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof AwsServiceError) throw error;
      throw new AwsServiceError('QueryFailed', oneLineMessage(error));
    } finally {
      options.signal?.removeEventListener('abort', abort);
      this.#running.delete(connection);
      connection.closeSync();
      for (const snapshot of snapshots) snapshot?.release();
      release();
    }
  }

  /** A DuckDB setting's value, as the engine runs (for diagnostics; SQL itself cannot read settings). */
  async setting(name: string): Promise<string> {
    const reader = await this.#onMaintenance(() => this.#maintenance.runAndReadAll(`SELECT current_setting(${sqlString(name)})::VARCHAR`));
    return String(reader.getRows()[0]?.[0]);
  }

  /** Reads new log lines of every source, and keeps the columnar copies current; for the server's background work. */
  async maintain(behindBytes = 0): Promise<void> {
    const sources = this.#options.sources();
    for (const [name, tables] of [...this.#tables]) {
      if (sources.some((source) => source.name === name)) continue;
      // Deleted (or pending deletion): its rows leave memory; running queries keep their snapshot views.
      this.#tables.delete(name);
      const gone = await tables.catch(() => undefined);
      if (gone) await this.#onMaintenance(() => gone.drop());
    }
    for (const source of sources) {
      const tables = await this.#current(source);
      if (behindBytes === 0 || tables.behindBy(behindBytes)) await this.#onMaintenance(() => tables.sync());
    }
  }

  /** Makes reading the logs stop after the current step (for good: the engine is about to close). */
  stopReading(): void {
    for (const tables of this.#tables.values()) void tables.then((t) => t.stop(), () => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of this.#running) connection.interrupt();
    this.#slots.close();
    // Reading a long backlog of log stops after the current step: what is not in the columnar copy yet is read at the next start.
    this.stopReading();
    await this.#maintenanceTail.catch(() => undefined);
    for (const tables of this.#tables.values()) {
      try {
        await (await tables).close();
      } catch (error) {
        this.#options.diagnostics.warn(`auditlake: could not save the columnar copy: ${(error as Error).message}`);
      }
    }
    await this.#checkerTail.catch(() => undefined);
    this.#checker.closeSync();
    this.#maintenance.closeSync();
    this.#instance.closeSync();
    removeSqlDirs({ private: this.#privateDir, stage: this.#stageDir });
  }

  async #execute(connection: DuckDBConnection, prepared: PreparedQuery, snapshots: (SourceSnapshot | undefined)[], options: RunOptions): Promise<QueryResult> {
    const sources = new Map(this.#options.sources().map((source) => [source.name, source]));
    const now = this.#options.now();
    for (const [i, name] of prepared.tables.entries()) {
      const source = sources.get(name);
      const snapshot = snapshots[i];
      if (source === undefined || snapshot === undefined) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store ID does not exist: ${name}`);
      const cutoff = `TIMESTAMP '${new Date(now - source.retentionDays * DAY_MS).toISOString().replace('T', ' ').replace('Z', '')}'`;
      await connection.run(`CREATE OR REPLACE TEMP VIEW "${name}" AS ${snapshot.viewSql(cutoff)}`);
    }
    const profile = join(this.#stageDir, `${this.#name()}.profile.json`);
    await connection.run("SET enable_profiling = 'json'");
    await connection.run(`SET profiling_output = ${sqlString(profile)}`);
    const started = performance.now();
    const result = await connection.stream(prepared.sql);
    const columns = result.columnNames();
    const rows: (JsonValue | string | null)[][] = [];
    const budget = { bytes: 0, maxBytes: options.maxBytes };
    let rowCount = 0;
    let truncated = false;
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      let raw = chunk.getRows();
      if (rowCount + raw.length > options.maxRows) {
        if (!options.truncate) throw new AwsServiceError('QueryResultsTooLarge', `The query returned more than ${options.maxRows} rows; narrow it down or add a LIMIT.`);
        raw = raw.slice(0, options.maxRows - rowCount);
        truncated = true;
      }
      const converted = convertRows(raw, options.format, budget);
      rowCount += converted.length;
      if (options.onRows) options.onRows(converted, columns);
      else rows.push(...converted);
      if (truncated) break;
    }
    const executionTimeMs = Math.round(performance.now() - started);
    let matched: number | undefined;
    try {
      matched = truncated ? undefined : eventsMatched(readFileSync(profile, 'utf8'));
    } catch {
      matched = undefined;
    } finally {
      rmSync(profile, { force: true });
    }
    return {
      columns,
      rows,
      rowCount,
      truncated,
      bytes: budget.bytes,
      eventsMatched: matched ?? 0,
      eventsScanned: snapshots.reduce((sum, snapshot) => sum + (snapshot?.rows ?? 0), 0),
      bytesScanned: snapshots.reduce((sum, snapshot) => sum + (snapshot?.logBytes ?? 0), 0),
      executionTimeMs,
    };
  }

  /** The source's tables, opened on first use. */
  #tablesOf(source: TableSource): Promise<SourceTables> {
    let tables = this.#tables.get(source.name);
    if (tables === undefined) {
      tables = this.#onMaintenance(() =>
        SourceTables.open(source, { connection: this.#maintenance, stageDir: this.#stageDir, diagnostics: this.#options.diagnostics, writable: this.#options.writable, scratchDir: join(this.#privateDir, 'scratch'), tableName: () => this.#name(), segmentRows: this.#options.segmentRows ?? SEGMENT_ROWS, segmentsOnly: this.#options.segmentsOnly }),
      );
      this.#tables.set(source.name, tables);
      tables.catch(() => this.#tables.delete(source.name));
    }
    return tables;
  }

  /**
   * The source's tables, after dropping those of an earlier source of the same name and
   * another identity (a CloudWatch Logs log group deleted and created again under its name).
   */
  async #current(source: TableSource): Promise<SourceTables> {
    const held = this.#tables.get(source.name);
    const existing = await held?.catch(() => undefined);
    if (existing !== undefined && existing.source.identity !== source.identity && this.#tables.get(source.name) === held) {
      this.#tables.delete(source.name);
      await this.#onMaintenance(() => existing.drop());
    }
    return this.#tablesOf(source);
  }

  /** The source's tables with everything its log held when this was called. */
  async #synced(name: string): Promise<SourceTables | undefined> {
    const source = this.#options.sources().find((s) => s.name === name);
    if (source === undefined) return undefined;
    const tables = await this.#current(source);
    await this.#onMaintenance(() => tables.sync());
    return tables;
  }

  async #ensureCheckerViews(sources: readonly TableSource[]): Promise<void> {
    const key = sources.map((source) => `${source.name}:${source.schema.kind}`).join(',');
    if (key === this.#checkerViews) return;
    for (const source of sources) {
      const empty = `${INTERNAL_SCHEMA}.empty_${source.schema.kind}`;
      await this.#checker.run(`CREATE TABLE IF NOT EXISTS ${empty} (${source.schema.tableColumns})`);
      await this.#checker.run(`CREATE OR REPLACE TEMP VIEW "${source.name}" AS SELECT ${source.schema.publicColumns} FROM ${empty}`);
    }
    this.#checkerViews = key;
  }

  #onMaintenance<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#maintenanceTail.then(() => (this.#closed ? Promise.reject(new Error('the query engine is closed')) : task()));
    this.#maintenanceTail = result.catch(() => undefined);
    return result;
  }

  #onChecker<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#checkerTail.then(() => (this.#closed ? Promise.reject(new Error('the query engine is closed')) : task()));
    this.#checkerTail = result.catch(() => undefined);
    return result;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the query engine is closed');
  }

  #name(): string {
    return `t_${++this.#names}`;
  }
}
