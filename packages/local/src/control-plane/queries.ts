/** StartQuery, DescribeQuery, GetQueryResults, CancelQuery and ListQueries. */
import { AwsServiceError } from '../aws-error.js';
import type { QueryRecord } from '../query-registry.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { findEventDataStore } from './event-data-stores.js';
import { DEFAULT_PAGE, pageOffset, pageToken, paginate } from './pagination.js';
import { integer, omitUndefined, required, seconds, string, timestamp } from './validation.js';

const QUERY_ID = /^[a-f0-9-]{36}$/;

export const queryOperations: Record<string, Operation> = {
  StartQuery: startQuery,
  DescribeQuery: describeQuery,
  GetQueryResults: getQueryResults,
  CancelQuery: cancelQuery,
  ListQueries: listQueries,
};

async function startQuery(context: ControlPlaneContext, input: Input): Promise<unknown> {
  const statement = string(input, 'QueryStatement', { max: 10_000 });
  if (string(input, 'QueryAlias', { max: 256 }) !== undefined) throw new AwsServiceError('UnsupportedOperationException', 'QueryAlias (dashboard queries) is not supported by the local lake.');
  if (input.QueryParameters !== undefined) throw new AwsServiceError('InvalidParameterException', 'QueryParameters can be used only with QueryAlias.');
  if (string(input, 'DeliveryS3Uri', { max: 1024 }) !== undefined) throw new AwsServiceError('UnsupportedOperationException', 'DeliveryS3Uri is not supported by the local lake: results stay available through GetQueryResults.');
  checkOwner(context, input);
  if (statement === undefined) throw new AwsServiceError('InvalidParameterException', 'Either QueryStatement or QueryAlias is required.');
  const record = await context.queries.start(statement);
  return { QueryId: record.id, EventDataStoreOwnerAccountId: context.store.catalog.accountId };
}

function describeQuery(context: ControlPlaneContext, input: Input): unknown {
  if (string(input, 'QueryAlias') !== undefined && input.QueryId === undefined) throw new AwsServiceError('UnsupportedOperationException', 'QueryAlias is not supported by the local lake.');
  const record = context.queries.get(queryId(input));
  const result = record.result;
  return omitUndefined({
    QueryId: record.id,
    QueryString: record.statement,
    QueryStatus: record.status,
    QueryStatistics: {
      EventsMatched: result?.eventsMatched ?? 0,
      EventsScanned: result?.eventsScanned ?? 0,
      BytesScanned: result?.bytesScanned ?? 0,
      ExecutionTimeInMillis: result?.executionTimeMs ?? 0,
      CreationTime: seconds(record.createdAt),
    },
    ErrorMessage: record.errorMessage,
    EventDataStoreOwnerAccountId: context.store.catalog.accountId,
  });
}

function getQueryResults(context: ControlPlaneContext, input: Input): unknown {
  const record = context.queries.get(queryId(input));
  const max = integer(input, 'MaxQueryResults', 1, 1000, 'InvalidMaxResultsException') ?? DEFAULT_PAGE;
  const offset = pageOffset(input, `q:${record.id}`);
  const result = record.result;
  if (!result || record.status !== 'FINISHED') {
    return omitUndefined({
      QueryStatus: record.status,
      QueryStatistics: { ResultsCount: 0, TotalResultsCount: 0, BytesScanned: 0 },
      QueryResultRows: [],
      ErrorMessage: record.errorMessage,
    });
  }
  const page = result.rows.slice(offset, offset + max);
  const next = offset + page.length;
  return omitUndefined({
    QueryStatus: record.status,
    QueryStatistics: { ResultsCount: page.length, TotalResultsCount: result.rows.length, BytesScanned: result.bytesScanned },
    QueryResultRows: page.map((row) => row.map((value, i) => ({ [result.columns[i] as string]: value }))),
    NextToken: next < result.rows.length ? pageToken(`q:${record.id}`, next) : undefined,
  });
}

async function cancelQuery(context: ControlPlaneContext, input: Input): Promise<unknown> {
  const record = await context.queries.cancel(queryId(input));
  return { QueryId: record.id, QueryStatus: record.status, EventDataStoreOwnerAccountId: context.store.catalog.accountId };
}

function listQueries(context: ControlPlaneContext, input: Input): unknown {
  const eds = findEventDataStore(context, required(input, 'EventDataStore'));
  const start = timestamp(input, 'StartTime');
  const end = timestamp(input, 'EndTime');
  if (start !== undefined && end !== undefined && start > end) throw new AwsServiceError('InvalidDateRangeException', 'StartTime must be before EndTime.');
  const status = string(input, 'QueryStatus');
  if (status !== undefined && !['QUEUED', 'RUNNING', 'FINISHED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(status)) {
    throw new AwsServiceError('InvalidQueryStatusException', `QueryStatus ${status} is not one of QUEUED, RUNNING, FINISHED, FAILED, CANCELLED, TIMED_OUT.`);
  }
  const matching = context.queries
    .list()
    .filter((q) => q.eventDataStoreIds.includes(eds.id))
    .filter((q) => (start === undefined || q.createdAt >= start) && (end === undefined || q.createdAt <= end) && (status === undefined || q.status === status))
    .sort((a, b) => b.createdAt - a.createdAt);
  return paginate(input, `lq:${eds.id}`, matching, (q: QueryRecord) => ({ QueryId: q.id, QueryStatus: q.status, CreationTime: seconds(q.createdAt) }), 'Queries');
}

function checkOwner(context: ControlPlaneContext, input: Input): void {
  const owner = string(input, 'EventDataStoreOwnerAccountId');
  if (owner !== undefined && owner !== context.store.catalog.accountId) {
    throw new AwsServiceError('InvalidParameterException', `EventDataStoreOwnerAccountId ${owner} is not the account of the local lake (${context.store.catalog.accountId}).`);
  }
}

function queryId(input: Input): string {
  const id = required(input, 'QueryId');
  if (!QUERY_ID.test(id)) throw new AwsServiceError('InvalidParameterException', `QueryId must be a 36-character query ID (actual: ${id}).`);
  return id;
}
