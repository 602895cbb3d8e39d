/**
 * The asynchronous query lifecycle of StartQuery / DescribeQuery / GetQueryResults /
 * CancelQuery: a statement is checked when started (a bad one fails StartQuery itself, at
 * once, without loading any store), then runs in the background:
 * QUEUED (its stores being read, or waiting for a free slot) → RUNNING →
 * FINISHED | FAILED | CANCELLED | TIMED_OUT (after `timeoutMs` of running).
 * Results are kept for the most recent queries, within a byte budget: the oldest are
 * forgotten first (as the service forgets queries after seven days).
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from './aws-error.js';
import { oneLineMessage } from './query-errors.js';
import type { QueryEngine, QueryResult } from './query-engine.js';

export type QueryStatus = 'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

export interface QueryRecord {
  id: string;
  statement: string;
  eventDataStoreIds: string[];
  status: QueryStatus;
  createdAt: number;
  /** Rows as GetQueryResults strings. */
  result?: QueryResult;
  errorMessage?: string;
}

export interface QueryRegistryOptions {
  engine: () => Promise<QueryEngine>;
  now: () => number;
  /** Most rows a result may have. */
  maxRows: number;
  /** Longest a query may run. */
  timeoutMs: number;
  /** Most bytes the kept results may take together (one result may take them all). */
  maxResultsBytes: number;
}

/** The service's quota: 10 queries queued or running. */
const MAX_ACTIVE_QUERIES = 10;
/** Queries remembered (finished ones are forgotten first). */
const MAX_KEPT_QUERIES = 200;

/** Why a query stopped early: the status it ends in. */
class QueryStop extends Error {
  readonly status: 'CANCELLED' | 'TIMED_OUT';
  constructor(status: 'CANCELLED' | 'TIMED_OUT', message: string) {
    super(message);
    this.status = status;
  }
}

export class QueryRegistry {
  readonly #queries = new Map<string, QueryRecord>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #options: QueryRegistryOptions;
  #resultBytes = 0;

  constructor(options: QueryRegistryOptions) {
    this.#options = options;
  }

  async start(statement: string): Promise<QueryRecord> {
    const active = [...this.#queries.values()].filter((q) => q.status === 'QUEUED' || q.status === 'RUNNING').length;
    if (active >= MAX_ACTIVE_QUERIES) {
      throw new AwsServiceError('MaxConcurrentQueriesException', `You are already running the maximum number of concurrent queries (${MAX_ACTIVE_QUERIES}). Wait a minute for some queries to finish, and then run the query again.`);
    }
    const engine = await this.#options.engine();
    const prepared = await engine.prepare(statement);
    const record: QueryRecord = { id: randomUUID(), statement, eventDataStoreIds: prepared.tables, status: 'QUEUED', createdAt: this.#options.now() };
    this.#queries.set(record.id, record);
    this.#forgetOld();
    const controller = new AbortController();
    this.#controllers.set(record.id, controller);
    let timer: NodeJS.Timeout | undefined;
    const run = engine.run(prepared, {
      maxRows: this.#options.maxRows,
      maxBytes: this.#options.maxResultsBytes,
      format: 'strings',
      signal: controller.signal,
      onStart: () => {
        record.status = 'RUNNING';
        timer = setTimeout(() => controller.abort(new QueryStop('TIMED_OUT', `The query timed out: it ran longer than ${this.#options.timeoutMs} ms (queryTimeoutMs).`)), this.#options.timeoutMs);
        timer.unref();
      },
    });
    run
      .then((result) => {
        // Cancelled just as it finished: CancelQuery already answered CANCELLED.
        if (record.status !== 'RUNNING') return;
        record.status = 'FINISHED';
        record.result = result;
        this.#resultBytes += result.bytes;
        this.#evictResults(record);
      })
      .catch((error: unknown) => {
        if (record.status === 'CANCELLED') return;
        if (error instanceof QueryStop) {
          record.status = error.status;
          if (error.status === 'TIMED_OUT') record.errorMessage = error.message;
        } else {
          record.status = 'FAILED';
          record.errorMessage = oneLineMessage(error);
        }
      })
      .finally(() => {
        clearTimeout(timer);
        this.#controllers.delete(record.id);
      });
    return record;
  }

  get(id: string): QueryRecord {
    const record = this.#queries.get(id);
    if (!record) throw new AwsServiceError('QueryIdNotFoundException', 'The query ID does not exist or does not map to a query.');
    return record;
  }

  list(): QueryRecord[] {
    return [...this.#queries.values()];
  }

  async cancel(id: string): Promise<QueryRecord> {
    const record = this.get(id);
    if (record.status !== 'QUEUED' && record.status !== 'RUNNING') {
      throw new AwsServiceError('InactiveQueryException', `The query ${id} cannot be cancelled because it is ${record.status}.`);
    }
    record.status = 'CANCELLED';
    this.#controllers.get(id)?.abort(new QueryStop('CANCELLED', 'The query was cancelled.'));
    return record;
  }

  /** Stops every query still queued or running. */
  close(): void {
    for (const controller of this.#controllers.values()) controller.abort(new QueryStop('CANCELLED', 'The local lake is stopping.'));
  }

  /** Forgets the oldest finished results until the kept ones fit the budget (the newest always stays). */
  #evictResults(newest: QueryRecord): void {
    for (const [id, record] of this.#queries) {
      if (this.#resultBytes <= this.#options.maxResultsBytes) break;
      if (record === newest || record.result === undefined) continue;
      this.#resultBytes -= record.result.bytes;
      this.#queries.delete(id);
    }
  }

  #forgetOld(): void {
    for (const [id, record] of this.#queries) {
      if (this.#queries.size <= MAX_KEPT_QUERIES) break;
      if (record.status === 'QUEUED' || record.status === 'RUNNING') continue;
      if (record.result) this.#resultBytes -= record.result.bytes;
      this.#queries.delete(id);
    }
  }
}
