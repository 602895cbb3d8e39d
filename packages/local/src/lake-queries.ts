/**
 * The query side of a running lake: the engine (started with the server, so that its stores'
 * columnar copies are opened and the logs beyond them read in the background while the first
 * requests come in; it reads a log again when a query needs it), the columnar keeper that
 * turns growing logs into segments at low priority, the registry behind the query API, and
 * `lake.query()`.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostics } from '@auditlake/core';
import { AwsServiceError } from './aws-error.js';
import type { Catalog } from './catalog.js';
import { KEEPER_LOCK } from './columnar-copy.js';
import { keeperProcess } from './keeper-process.js';
import { fileSize } from './log-reader.js';
import type { LogCatalog } from './logs/log-catalog.js';
import { QueryEngine } from './query-engine.js';
import { oneLineMessage } from './query-errors.js';
import type { ResolvedQueryOptions } from './query-options.js';
import { QueryRegistry } from './query-registry.js';
import { FULL_CHUNK_BYTES } from './source-tables.js';
import type { JsonValue } from './sql-values.js';
import { COLUMNAR_DIR, tableSources } from './table-sources.js';

/** How often the lake looks whether a log is big enough for the keeper. */
const KEEPER_CHECK_MS = 1000;

export interface LakeQueries {
  readonly registry: QueryRegistry;
  /** Runs one SELECT and returns its rows as objects of JSON-friendly values. */
  query(sql: string): Promise<Record<string, JsonValue>[]>;
  close(): Promise<void>;
}

export interface LakeQueriesOptions extends ResolvedQueryOptions {
  catalog: Catalog;
  /** The CloudWatch Logs log groups, each a table too. */
  logs: LogCatalog;
  now: () => number;
  diagnostics: Diagnostics;
  maxQueryResultRows: number;
}

export function startLakeQueries(options: LakeQueriesOptions): LakeQueries {
  const { catalog, logs, diagnostics } = options;
  removeOrphanCopies(join(catalog.dataDir, COLUMNAR_DIR), catalog, logs);
  const engine = QueryEngine.create({
    sources: () => tableSources(catalog, logs),
    now: options.now,
    diagnostics,
    columnarRoot: join(catalog.dataDir, COLUMNAR_DIR),
    writable: false,
    memoryLimitMb: options.queryMemoryLimitMb,
    maxRunningQueries: options.maxRunningQueries,
  });
  const reported = new Set<string>();
  const report = (error: unknown) => {
    const message = `auditlake: SQL: reading the stores failed: ${oneLineMessage(error)}`;
    if (reported.has(message)) return;
    reported.add(message);
    diagnostics.error(message);
  };
  engine.catch(report);
  // The logs beyond the columnar copies are read now, so that the first query does not wait for them.
  const preload = engine.then((e) => e.maintain()).catch(report);
  const keeper = keeperProcess(catalog.dataDir, diagnostics);
  const timer = setInterval(() => {
    if (tableSources(catalog, logs).some((source) => fileSize(source.logPath) >= FULL_CHUNK_BYTES)) keeper.ensure();
  }, KEEPER_CHECK_MS);
  timer.unref();
  const registry = new QueryRegistry({
    engine: () => engine,
    now: options.now,
    maxRows: options.maxQueryResultRows,
    timeoutMs: options.queryTimeoutMs,
    maxResultsBytes: options.maxQueryResultsBytes,
  });

  return {
    registry,
    async query(sql) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const onStart = () => {
        timer = setTimeout(() => controller.abort(new AwsServiceError('QueryTimedOut', `The query ran longer than ${options.queryTimeoutMs} ms (queryTimeoutMs).`)), options.queryTimeoutMs);
        timer.unref();
      };
      try {
        const result = await (await engine).run(sql, { maxRows: options.maxQueryResultRows, format: 'json', signal: controller.signal, onStart });
        return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i] as JsonValue])));
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      clearInterval(timer);
      registry.close();
      await keeper.close();
      await preload;
      await (await engine.catch(() => undefined))?.close();
    },
  };
}

/** Columnar copies of stores the catalog no longer has (purged after their deletion wait), and of deleted log groups. */
function removeOrphanCopies(root: string, catalog: Catalog, logs: LogCatalog): void {
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return;
  }
  const known = new Set([...catalog.eventDataStores.map((eds) => eds.id), ...logs.logGroups.map((group) => group.id)]);
  for (const dir of dirs) if (!known.has(dir) && dir !== KEEPER_LOCK) rmSync(join(root, dir), { recursive: true, force: true });
}
