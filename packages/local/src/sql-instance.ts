/**
 * The engine's DuckDB instance, locked down before any query runs: a memory limit, a private
 * spill directory (not `./.tmp` under the server's working directory), no extensions loaded or
 * installed, UTC, the Trino function macros, and no file access beyond the engine's own
 * directories and the columnar copies. Also the directories' lifecycle: they carry the pid, so
 * that an engine removes those a killed process left behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { processAlive } from './process-alive.js';
import { INTERNAL_SCHEMA, sqlString } from './source-tables.js';
import { TRANSFORM_MACROS } from './sql-transform.js';
import { TRINO_MACROS } from './trino-functions.js';

const SHARED_MEMORY = '/dev/shm';

/** The engine's own directories: `private` (spill and scratch), `stage` (log lines staged for DuckDB, in memory where possible). */
export interface SqlDirs {
  private: string;
  stage: string;
}

export interface SqlInstance {
  instance: DuckDBInstance;
  /** Loads logs and writes the columnar copies, one step at a time. */
  maintenance: DuckDBConnection;
  /** Prepares (parses and binds) statements. */
  checker: DuckDBConnection;
  dirs: SqlDirs;
  /** Every name the catalog answers to without a schema (system views included): no WITH table may take one. */
  reserved: Set<string>;
}

export async function openSqlInstance(options: { memoryLimitMb: number; columnarRoot: string }): Promise<SqlInstance> {
  for (const root of [tmpdir(), SHARED_MEMORY]) removeDeadEnginesDirs(root);
  const privateDir = mkdtempSync(join(tmpdir(), `auditlake-sql-${process.pid}-`));
  for (const dir of ['spill', 'scratch']) mkdirSync(join(privateDir, dir));
  // Staged log lines are written and read once: in memory they cost the disk nothing, where the log's fsyncs wait.
  const stageDir = existsSync(SHARED_MEMORY) ? mkdtempSync(join(SHARED_MEMORY, `auditlake-stage-${process.pid}-`)) : join(privateDir, 'stage');
  mkdirSync(stageDir, { recursive: true });
  const dirs = { private: privateDir, stage: stageDir };
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', {
      memory_limit: `${options.memoryLimitMb}MB`,
      // DuckDB spills here, not to ./.tmp under the server's working directory.
      temp_directory: join(privateDir, 'spill'),
      max_temp_directory_size: '4GB',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const setup = await instance.connect();
    await setup.run("SET TimeZone = 'UTC'");
    await setup.run(`CREATE SCHEMA ${INTERNAL_SCHEMA}`);
    for (const macro of [...TRINO_MACROS, ...TRANSFORM_MACROS]) await setup.run(macro);
    const reserved = await catalogNames(setup);
    const allowed = [stageDir, join(privateDir, 'scratch'), options.columnarRoot].map((dir) => sqlString(`${dir}/`));
    await setup.run(`SET allowed_directories = [${allowed.join(', ')}]`);
    await setup.run('SET enable_external_access = false');
    setup.closeSync();
    const maintenance = await instance.connect();
    const checker = await instance.connect();
    return { instance, maintenance, checker, dirs, reserved };
  } catch (error) {
    instance?.closeSync();
    removeSqlDirs(dirs);
    throw error;
  }
}

/** Removes an engine's directories (when it closes). */
export function removeSqlDirs(dirs: SqlDirs): void {
  rmSync(dirs.private, { recursive: true, force: true });
  rmSync(dirs.stage, { recursive: true, force: true });
}

/**
 * An engine removes its directories when it closes; a process killed first leaves them. Their
 * names carry the pid: those of processes that are gone are removed by the next engine.
 */
function removeDeadEnginesDirs(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^auditlake-(?:sql|stage)-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
  }
}

async function catalogNames(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll('SELECT lower(view_name) FROM duckdb_views() UNION SELECT lower(table_name) FROM duckdb_tables()');
  return new Set(reader.getRows().map((row) => String(row[0])));
}
