import { ConfigurationError } from '@auditlake/core';

/** How the lake runs SQL (`startLocalLake` options; `auditlake serve` flags of the same meaning). */
export interface LocalLakeQueryOptions {
  /**
   * Longest a query may run before it stops with status `TIMED_OUT` (time waiting in the queue
   * or for a store to load does not count). `lake.query()` rejects with `QueryTimedOut`.
   * @default 60000
   */
  queryTimeoutMs?: number;
  /**
   * DuckDB's memory limit, in MiB: the tables of the stores' recent events and what queries
   * hold; beyond it DuckDB spills to a private temporary directory, or the query fails.
   * @default 512
   */
  queryMemoryLimitMb?: number;
  /** Queries that run at once; more wait in order of arrival (StartQuery answers at once either way). @default 2 */
  maxRunningQueries?: number;
  /**
   * Bytes the results of finished queries may take together (GetQueryResults reads them);
   * the oldest results are forgotten first, and a single result larger than this fails its query.
   * @default 134217728 (128 MiB)
   */
  maxQueryResultsBytes?: number;
}

export interface ResolvedQueryOptions {
  queryTimeoutMs: number;
  queryMemoryLimitMb: number;
  maxRunningQueries: number;
  maxQueryResultsBytes: number;
}

export const QUERY_DEFAULTS: Readonly<ResolvedQueryOptions> = Object.freeze({
  queryTimeoutMs: 60_000,
  queryMemoryLimitMb: 512,
  maxRunningQueries: 2,
  maxQueryResultsBytes: 128 * 1024 * 1024,
});

const RULES: Record<keyof ResolvedQueryOptions, [min: number, max: number]> = {
  queryTimeoutMs: [1, 86_400_000],
  // DuckDB's JSON reader alone takes 32 MiB per thread while a store's log is read.
  queryMemoryLimitMb: [128, 1_048_576],
  maxRunningQueries: [1, 10],
  maxQueryResultsBytes: [1024, Number.MAX_SAFE_INTEGER],
};

export function resolveQueryOptions(options: LocalLakeQueryOptions): ResolvedQueryOptions {
  const resolved = { ...QUERY_DEFAULTS };
  for (const key of Object.keys(RULES) as (keyof ResolvedQueryOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const [min, max] = RULES[key];
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigurationError(key, `an integer from ${min} to ${max}`, value);
    resolved[key] = value;
  }
  return resolved;
}
