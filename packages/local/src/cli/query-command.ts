/**
 * `auditlake query`: one SELECT over a data directory, with or without a running server (it
 * only reads). Output as a table, JSON or CSV; at most `--max-rows` rows (JSON and CSV are
 * written as they come, so `--max-rows 0` lifts the cap without holding the result).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatTable } from '../format-table.js';
import { csvLine } from '../format-csv.js';
import { openCatalogReadOnly } from '../lake-store.js';
import { QueryEngine } from '../query-engine.js';
import { QUERY_DEFAULTS } from '../query-options.js';
import type { JsonValue } from '../sql-values.js';
import { COLUMNAR_DIR, readOnlyTableSources } from '../table-sources.js';
import { cliDiagnostics, readAll, UsageError, type CliIo } from './cli-io.js';
import { flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { DEFAULT_DATA_DIR } from './start-info.js';

const DEFAULT_MAX_ROWS = 10_000;
const OUTPUTS = ['table', 'json', 'csv'] as const;

export const QUERY_FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', env: 'AUDITLAKE_DATA_DIR', value: '<dir>', help: `data directory (default ${DEFAULT_DATA_DIR})` },
  { name: 'file', type: 'string', short: 'f', value: '<path>', help: 'read the SQL from this file' },
  { name: 'output', type: 'string', short: 'o', value: '<format>', help: 'table (default), json (an array of row objects) or csv' },
  { name: 'json', type: 'boolean', help: 'the same as --output json' },
  { name: 'max-rows', type: 'integer', min: 0, value: '<n>', help: `print at most n rows, 0 for all (default ${DEFAULT_MAX_ROWS}); more are reported on stderr` },
  { name: 'query-memory-limit-mb', type: 'integer', min: 128, max: 1_048_576, env: 'AUDITLAKE_QUERY_MEMORY_LIMIT_MB', value: '<MiB>', help: `DuckDB's memory limit (default ${QUERY_DEFAULTS.queryMemoryLimitMb})` },
];

export const QUERY_USAGE = `Usage: auditlake query "<sql>" [options]
       auditlake query --file <path> [options]
       auditlake query - [options]          (the SQL from standard input)

Runs one SELECT (CloudTrail Lake syntax: FROM <event data store id>) over a data directory,
with or without a running server.

${flagHelp(QUERY_FLAGS)}
`;

export async function queryCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, QUERY_FLAGS, io.env, 1);
  if (values.help) {
    io.stdout.write(QUERY_USAGE);
    return 0;
  }
  const sql = await statementOf(positionals[0], values.file as string | undefined, io);
  const output = values.json ? 'json' : ((values.output as string | undefined) ?? 'table');
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')} (actual: "${output}")`);
  const maxRows = (values['max-rows'] as number | undefined) ?? DEFAULT_MAX_ROWS;
  const dataDir = resolve((values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR);
  const catalog = openCatalogReadOnly(dataDir);
  const engine = await QueryEngine.create({
    sources: readOnlyTableSources(catalog),
    now: Date.now,
    diagnostics: cliDiagnostics(io),
    columnarRoot: join(dataDir, COLUMNAR_DIR),
    writable: false,
    memoryLimitMb: (values['query-memory-limit-mb'] as number | undefined) ?? QUERY_DEFAULTS.queryMemoryLimitMb,
    maxRunningQueries: 1,
  });
  try {
    const limit = maxRows === 0 ? Number.MAX_SAFE_INTEGER : maxRows;
    let result;
    if (output === 'table') {
      result = await engine.run(sql, { maxRows: limit, truncate: true, format: 'json' });
      io.stdout.write(`${formatTable(result.columns, result.rows)}\n`);
    } else {
      const writer = output === 'csv' ? csvWriter(io) : jsonWriter(io);
      result = await engine.run(sql, { maxRows: limit, truncate: true, format: 'json', onRows: writer.rows });
      writer.end(result.columns);
    }
    if (result.truncated) io.stderr.write(`auditlake: the query returned more than ${maxRows} rows; printed the first ${maxRows} (--max-rows <n> to change, 0 for all)\n`);
    return 0;
  } finally {
    await engine.close();
  }
}

async function statementOf(positional: string | undefined, file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined && positional !== undefined) throw new UsageError('give the SQL either as an argument or with --file, not both');
  let sql: string | undefined;
  if (file !== undefined) {
    try {
      sql = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else if (positional === '-') {
    sql = await readAll(io.stdin);
  } else {
    sql = positional;
  }
  if (sql === undefined || sql.trim() === '') throw new UsageError('query needs the SQL as one (quoted) argument, --file <path>, or - to read it from standard input');
  return sql;
}

interface RowWriter {
  rows: (rows: (JsonValue | string | null)[][], columns: string[]) => void;
  end: (columns: string[]) => void;
}

function csvWriter(io: CliIo): RowWriter {
  let header = false;
  const writeHeader = (columns: string[]) => {
    if (header) return;
    header = true;
    io.stdout.write(csvLine(columns));
  };
  return {
    rows(rows, columns) {
      writeHeader(columns);
      io.stdout.write(rows.map(csvLine).join(''));
    },
    end: writeHeader,
  };
}

function jsonWriter(io: CliIo): RowWriter {
  let count = 0;
  return {
    rows(rows, columns) {
      const text = rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((column, i) => [column, row[i] ?? null])))).map((object) => `${count++ === 0 ? '[\n  ' : ',\n  '}${object}`);
      io.stdout.write(text.join(''));
    },
    end() {
      io.stdout.write(count === 0 ? '[]\n' : '\n]\n');
    },
  };
}
