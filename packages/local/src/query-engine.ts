/**
 * SQL over the stores with an in-memory DuckDB. Each store's log is loaded incrementally into
 * a table shaped like CloudTrail Lake's integration-event schema (eventData a struct, the
 * JSON-object fields `map<string,string>`), and each query sees it through a view named after
 * the store id that hides expired events. Queries run one at a time.
 *
 * The engine reads the logs, never writes them; it works beside a running server (a torn
 * last line is simply not loaded yet). SQL cannot reach the file system: DuckDB's external
 * access is off except for the engine's own staging directory.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import type { Diagnostics } from '@auditlake/core';
import { AwsServiceError, invalidQuery } from './aws-error.js';
import { firstKeyword, rewriteQuery } from './sql-rewrite.js';
import { toJsonValue, toResultString, type JsonValue } from './sql-values.js';

/** A store as the engine needs it. */
export interface QuerySource {
  id: string;
  logPath: string;
  retentionDays: number;
}

export interface PreparedQuery {
  /** As given. */
  statement: string;
  /** As DuckDB runs it. */
  sql: string;
  eventDataStoreIds: string[];
}

export interface QueryResult {
  columns: string[];
  /** Rows as JSON-friendly values. */
  rows: JsonValue[][];
  /** Rows as GetQueryResults strings. */
  strings: (string | null)[][];
  /** Events in the stores the query names (retention applied), and the log bytes behind them. */
  eventsScanned: number;
  bytesScanned: number;
  executionTimeMs: number;
}

interface LoadedStore {
  table: string;
  loadedBytes: number;
  rows: number;
}

const DAY_MS = 86_400_000;
/** Bytes of log staged into DuckDB per step; bounds the engine's own memory while loading. */
const LOAD_CHUNK_BYTES = 16 * 1024 * 1024;

const MAP = 'MAP(VARCHAR, VARCHAR)';
/** json_transform structure of eventData: unknown keys are dropped, missing ones are NULL, nested map values become JSON text. */
const EVENT_DATA_STRUCTURE = JSON.stringify({
  version: 'VARCHAR',
  userIdentity: { type: 'VARCHAR', principalId: 'VARCHAR', details: MAP },
  userAgent: 'VARCHAR',
  eventSource: 'VARCHAR',
  eventName: 'VARCHAR',
  eventTime: 'VARCHAR',
  UID: 'VARCHAR',
  requestParameters: MAP,
  responseElements: MAP,
  errorCode: 'VARCHAR',
  errorMessage: 'VARCHAR',
  sourceIPAddress: 'VARCHAR',
  recipientAccountId: 'VARCHAR',
  additionalEventData: MAP,
});
const EVENT_DATA_TYPE =
  `STRUCT(version VARCHAR, userIdentity STRUCT(type VARCHAR, principalId VARCHAR, details ${MAP}), userAgent VARCHAR, eventSource VARCHAR, ` +
  `eventName VARCHAR, eventTime VARCHAR, UID VARCHAR, requestParameters ${MAP}, responseElements ${MAP}, errorCode VARCHAR, errorMessage VARCHAR, ` +
  `sourceIPAddress VARCHAR, recipientAccountId VARCHAR, additionalEventData ${MAP})`;
const TABLE_COLUMNS =
  'seq BIGINT, eventVersion VARCHAR, eventCategory VARCHAR, eventType VARCHAR, eventID VARCHAR, eventTime TIMESTAMP, awsRegion VARCHAR, ' +
  'recipientAccountId VARCHAR, addendum STRUCT(reason VARCHAR, updatedFields VARCHAR, originalUID VARCHAR, originalEventID VARCHAR), ' +
  `metadata STRUCT(ingestionTime VARCHAR, channelARN VARCHAR), eventData ${EVENT_DATA_TYPE}`;
const VIEW_COLUMNS = 'eventVersion, eventCategory, eventType, eventID, eventTime, awsRegion, recipientAccountId, addendum, metadata, eventData';
const RECORD_TYPE =
  'STRUCT(seq BIGINT, eventVersion VARCHAR, eventCategory VARCHAR, eventType VARCHAR, eventID VARCHAR, eventTime VARCHAR, awsRegion VARCHAR, ' +
  'recipientAccountId VARCHAR, metadata STRUCT(ingestionTime VARCHAR, channelARN VARCHAR), id VARCHAR, eventData VARCHAR)';

/**
 * A few Trino functions CloudTrail Lake queries use that DuckDB spells differently.
 * `element_at` follows Trino for maps: the value, or NULL when the key is absent.
 */
const TRINO_MACROS = [
  'CREATE MACRO element_at(m, k) AS map_extract_value(m, k)',
  'CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
];

export class QueryEngine {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  /** A second connection that only checks statements, so StartQuery never waits behind a running query. */
  readonly #checker: DuckDBConnection;
  readonly #stagingDir: string;
  readonly #sources: () => readonly QuerySource[];
  readonly #now: () => number;
  readonly #diagnostics: Diagnostics;
  readonly #loaded = new Map<string, LoadedStore>();
  #tail: Promise<unknown> = Promise.resolve();
  #staged = 0;
  #closed = false;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, checker: DuckDBConnection, stagingDir: string, options: QueryEngineOptions) {
    this.#instance = instance;
    this.#connection = connection;
    this.#checker = checker;
    this.#stagingDir = stagingDir;
    this.#sources = options.sources;
    this.#now = options.now;
    this.#diagnostics = options.diagnostics;
  }

  static async create(options: QueryEngineOptions): Promise<QueryEngine> {
    const stagingDir = mkdtempSync(join(tmpdir(), 'auditlake-sql-'));
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      await connection.run(`SET allowed_directories = [${sqlString(`${stagingDir}/`)}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
      for (const macro of TRINO_MACROS) await connection.run(macro);
      const checker = await instance.connect();
      return new QueryEngine(instance, connection, checker, stagingDir, options);
    } catch (error) {
      instance?.closeSync();
      rmSync(stagingDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Checks that `statement` is one SELECT over known stores, without running it. Only a store
   * never queried before needs the serialized path (its view must exist for the check).
   */
  async prepare(statement: string): Promise<PreparedQuery> {
    if (this.#closed) throw new Error('the query engine is closed');
    const prepared = this.#rewrite(statement);
    if (prepared.eventDataStoreIds.some((id) => !this.#loaded.has(id))) {
      await this.#serial(() => this.#refreshViews(prepared.eventDataStoreIds, false));
    }
    await this.#check(prepared, this.#checker);
    return prepared;
  }

  /**
   * Runs a query (prepared or not); more than `maxRows` rows is an error. `onStart` is called
   * when the query's turn comes; returning false skips it (it was cancelled while queued).
   */
  run(query: string | PreparedQuery, maxRows: number, onStart?: () => boolean): Promise<QueryResult> {
    return this.#serial(async () => {
      if (onStart && !onStart()) throw new AwsServiceError('QueryCancelled', 'The query was cancelled before it started.');
      const prepared = typeof query === 'string' ? this.#rewrite(query) : query;
      await this.#refreshViews(prepared.eventDataStoreIds, true);
      await this.#check(prepared, this.#connection);
      const started = performance.now();
      let reader;
      try {
        reader = await this.#connection.streamAndReadUntil(prepared.sql, maxRows + 1);
      } catch (error) {
        throw invalidQuery(cleanMessage(error));
      }
      if (reader.currentRowCount > maxRows) {
        throw new AwsServiceError('QueryResultsTooLarge', `The query returned more than ${maxRows} rows; narrow it down or add a LIMIT.`);
      }
      const columns = reader.columnNames();
      const raw = reader.getRows();
      const executionTimeMs = Math.round(performance.now() - started);
      let eventsScanned = 0;
      let bytesScanned = 0;
      for (const id of prepared.eventDataStoreIds) {
        const loaded = this.#loaded.get(id);
        if (!loaded) continue;
        eventsScanned += loaded.rows;
        bytesScanned += loaded.loadedBytes;
      }
      return {
        columns,
        rows: raw.map((row) => row.map(toJsonValue)),
        strings: raw.map((row) => row.map(toResultString)),
        eventsScanned,
        bytesScanned,
        executionTimeMs,
      };
    });
  }

  /** Interrupts the query running now, if any. */
  interrupt(): void {
    if (!this.#closed) this.#connection.interrupt();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.interrupt();
    await this.#tail.catch(() => undefined);
    this.#checker.closeSync();
    this.#connection.closeSync();
    this.#instance.closeSync();
    rmSync(this.#stagingDir, { recursive: true, force: true });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the query engine is closed'));
    const guarded = () => (this.#closed ? Promise.reject(new Error('the query engine is closed')) : task());
    const result = this.#tail.then(guarded, guarded);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #rewrite(statement: string): PreparedQuery {
    if (typeof statement !== 'string' || statement.trim().length === 0) throw invalidQuery('The query statement is empty.');
    const keyword = firstKeyword(statement);
    if (keyword !== 'SELECT' && keyword !== 'WITH') {
      throw invalidQuery(`Only SELECT statements are supported (this one starts with ${keyword || 'no keyword'}).`);
    }
    const known = new Map(this.#sources().map((source) => [source.id.toLowerCase(), source.id]));
    const { sql, eventDataStoreIds } = rewriteQuery(statement, known);
    return { statement, sql, eventDataStoreIds };
  }

  async #check(prepared: PreparedQuery, connection: DuckDBConnection): Promise<void> {
    let statements;
    try {
      statements = await connection.extractStatements(prepared.sql);
    } catch (error) {
      throw invalidQuery(cleanMessage(error));
    }
    if (statements.count !== 1) throw invalidQuery(`Only one SELECT statement is allowed (found ${statements.count}).`);
    let statement;
    try {
      statement = await statements.prepare(0);
    } catch (error) {
      throw invalidQuery(cleanMessage(error));
    }
    try {
      if (statement.statementType !== StatementType.SELECT) {
        throw invalidQuery(`Only SELECT statements are supported (this is a ${StatementType[statement.statementType]} statement).`);
      }
    } finally {
      statement.destroySync();
    }
  }

  /**
   * Loads what was appended to the named stores' logs since the last query and (re)creates
   * their views with the retention cut-off of now. Stores not named still get (empty-if-new)
   * views so that the statement binds; only `load` stores are read.
   */
  async #refreshViews(ids: readonly string[], load: boolean): Promise<void> {
    const sources = new Map(this.#sources().map((source) => [source.id, source]));
    for (const id of ids) {
      const source = sources.get(id);
      if (!source) continue;
      const loaded = await this.#table(source);
      if (load) await this.#load(source, loaded);
      const cutoff = new Date(this.#now() - source.retentionDays * DAY_MS).toISOString().replace('T', ' ').replace('Z', '');
      await this.#connection.run(`CREATE OR REPLACE VIEW "${id}" AS SELECT ${VIEW_COLUMNS} FROM ${loaded.table} WHERE eventTime >= TIMESTAMP '${cutoff}'`);
    }
  }

  async #table(source: QuerySource): Promise<LoadedStore> {
    let loaded = this.#loaded.get(source.id);
    if (!loaded) {
      loaded = { table: `__auditlake_events_${this.#loaded.size + 1}`, loadedBytes: 0, rows: 0 };
      await this.#connection.run(`CREATE TABLE ${loaded.table} (${TABLE_COLUMNS})`);
      this.#loaded.set(source.id, loaded);
    }
    return loaded;
  }

  /** Stages the complete new lines of the log and inserts them. */
  async #load(source: QuerySource, loaded: LoadedStore): Promise<void> {
    let size: number;
    try {
      size = statSync(source.logPath).size;
    } catch {
      return;
    }
    if (size <= loaded.loadedBytes) return;
    const handle = await open(source.logPath, 'r');
    try {
      while (loaded.loadedBytes < size) {
        const length = Math.min(LOAD_CHUNK_BYTES, size - loaded.loadedBytes);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, loaded.loadedBytes);
        let end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
        if (end === 0) {
          // A line longer than a chunk: read on to its end (or stop at a torn tail).
          if (bytesRead < length || loaded.loadedBytes + length >= size) return;
          const whole = await readLine(handle, loaded.loadedBytes, size);
          if (whole === undefined) return;
          end = await this.#insert(loaded, whole);
        } else {
          await this.#insert(loaded, buffer.subarray(0, end));
        }
        loaded.loadedBytes += end;
      }
    } finally {
      await handle.close();
    }
  }

  async #insert(loaded: LoadedStore, lines: Buffer): Promise<number> {
    const staging = join(this.#stagingDir, `stage-${++this.#staged}.jsonl`);
    await writeFile(staging, lines);
    try {
      const expected = countNewlines(lines);
      const result = await this.#connection.run(
        `INSERT INTO ${loaded.table} SELECT record.seq, record.eventVersion, record.eventCategory, record.eventType, record.eventID, ` +
          `TRY_CAST(record.eventTime AS TIMESTAMP), record.awsRegion, record.recipientAccountId, NULL, ` +
          `{'ingestionTime': record.metadata.ingestionTime, 'channelARN': record.metadata.channelARN}, ` +
          `CASE WHEN json_valid(record.eventData) THEN json_transform(record.eventData, '${EVENT_DATA_STRUCTURE}') END ` +
          `FROM read_json(${sqlString(staging)}, format = 'newline_delimited', ignore_errors = true, maximum_object_size = 67108864, ` +
          `columns = {hash: 'VARCHAR', record: '${RECORD_TYPE}'}) WHERE record.seq IS NOT NULL`,
      );
      const inserted = result.rowsChanged;
      loaded.rows += inserted;
      if (inserted < expected) {
        this.#diagnostics.warn(`auditlake: ${expected - inserted} damaged records were left out of SQL; run "auditlake verify" to locate them`);
      }
      return lines.length;
    } finally {
      rmSync(staging, { force: true });
    }
  }
}

export interface QueryEngineOptions {
  /** The stores, read at each query (new stores appear as they are created). */
  sources: () => readonly QuerySource[];
  now: () => number;
  diagnostics: Diagnostics;
}

async function readLine(handle: Awaited<ReturnType<typeof open>>, from: number, size: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let position = from;
  while (position < size) {
    const buffer = Buffer.alloc(Math.min(LOAD_CHUNK_BYTES, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline !== -1) {
      chunks.push(buffer.subarray(0, newline + 1));
      return Buffer.concat(chunks);
    }
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return undefined;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) count++;
  return count;
}

/** DuckDB's message without its error-class prefix noise, on one line where it can be. */
function cleanMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 990 ? `${text.slice(0, 990)}…` : text;
}
