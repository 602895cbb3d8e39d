/**
 * The asynchronous query lifecycle of StartQuery / DescribeQuery / GetQueryResults /
 * CancelQuery: a query is checked when started (a bad statement fails StartQuery itself),
 * then runs in the background, QUEUED → RUNNING → FINISHED | FAILED | CANCELLED. Results stay
 * in memory for the most recent queries only.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from './aws-error.js';
import type { PreparedQuery, QueryEngine, QueryResult } from './query-engine.js';

export type QueryStatus = 'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

export interface QueryRecord {
  id: string;
  statement: string;
  eventDataStoreIds: string[];
  status: QueryStatus;
  createdAt: number;
  result?: QueryResult;
  errorMessage?: string;
}

/** CloudTrail's quota: "10 queued or running". */
const MAX_ACTIVE_QUERIES = 10;
/** Finished queries kept for DescribeQuery and GetQueryResults; the oldest are forgotten first. */
const MAX_KEPT_QUERIES = 200;

export class QueryRegistry {
  readonly #queries = new Map<string, QueryRecord>();
  readonly #engine: () => Promise<QueryEngine>;
  readonly #now: () => number;
  readonly #maxRows: number;
  #running: QueryRecord | undefined;

  constructor(engine: () => Promise<QueryEngine>, now: () => number, maxRows: number) {
    this.#engine = engine;
    this.#now = now;
    this.#maxRows = maxRows;
  }

  async start(statement: string): Promise<QueryRecord> {
    const active = [...this.#queries.values()].filter((q) => q.status === 'QUEUED' || q.status === 'RUNNING').length;
    if (active >= MAX_ACTIVE_QUERIES) {
      throw new AwsServiceError('MaxConcurrentQueriesException', `You are already running the maximum number of concurrent queries (${MAX_ACTIVE_QUERIES}). Wait a minute for some queries to finish, and then run the query again.`);
    }
    const engine = await this.#engine();
    const prepared = await engine.prepare(statement);
    const record: QueryRecord = { id: randomUUID(), statement, eventDataStoreIds: prepared.eventDataStoreIds, status: 'QUEUED', createdAt: this.#now() };
    this.#queries.set(record.id, record);
    this.#forgetOld();
    void this.#execute(engine, record, prepared);
    return record;
  }

  async #execute(engine: QueryEngine, record: QueryRecord, prepared: PreparedQuery): Promise<void> {
    // Queued behind the engine's other work: RUNNING only once the engine starts this one, so
    // that cancelling a queued query never interrupts another.
    const start = () => {
      if (record.status !== 'QUEUED') return false;
      record.status = 'RUNNING';
      this.#running = record;
      return true;
    };
    try {
      const result = await engine.run(prepared, this.#maxRows, start);
      if (record.status === 'RUNNING') {
        record.result = result;
        record.status = 'FINISHED';
      }
    } catch (error) {
      if (record.status === 'RUNNING') {
        record.status = 'FAILED';
        record.errorMessage = errorMessage(error);
      }
    } finally {
      if (this.#running === record) this.#running = undefined;
    }
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
    const wasRunning = record.status === 'RUNNING';
    record.status = 'CANCELLED';
    if (wasRunning && this.#running === record) (await this.#engine()).interrupt();
    return record;
  }

  #forgetOld(): void {
    if (this.#queries.size <= MAX_KEPT_QUERIES) return;
    for (const [id, record] of this.#queries) {
      if (this.#queries.size <= MAX_KEPT_QUERIES) break;
      if (record.status !== 'QUEUED' && record.status !== 'RUNNING') this.#queries.delete(id);
    }
  }
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const padded = text.length < 4 ? `${text}    `.slice(0, 4) : text;
  return padded.length > 1000 ? `${padded.slice(0, 999)}…` : padded;
}
