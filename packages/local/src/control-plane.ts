/**
 * The CloudTrail control-plane operations a user needs around PutAuditEvents, over awsJson1_1
 * (`POST /`, `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`),
 * with the shapes, limits and error names of the 2013-11-01 model. Timestamps go out as epoch
 * seconds, which is what awsJson1_1 clients (botocore, the JS SDK) read.
 */
import { parseChannelArn } from '@auditlake/core/internal';
import { AwsServiceError, parseJsonBody } from './aws-error.js';
import {
  ACTIVITY_AUDIT_LOG_SELECTORS,
  type AdvancedEventSelector,
  type BillingMode,
  type ChannelDestination,
  type ChannelInfo,
  type EventDataStoreInfo,
  type Tag,
} from './catalog.js';
import type { LakeStore } from './lake-store.js';
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from './options.js';
import type { QueryRecord, QueryRegistry } from './query-registry.js';
import { parseChannelPolicy } from './resource-policy.js';

export const TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
/** The Smithy service shape name, which the JS SDK v3 sends as the target prefix (botocore sends the full one). */
const SHORT_TARGET_PREFIX = 'CloudTrail_20131101.';

export interface ControlPlaneContext {
  store: LakeStore;
  queries: QueryRegistry;
  now: () => number;
}

type Input = Record<string, unknown>;
type Operation = (context: ControlPlaneContext, input: Input) => unknown;

const MAX_CHANNELS = 25;
const MAX_EVENT_DATA_STORES = 10;
const FIXED_PRICING_MAX_RETENTION_DAYS = 2557;
const NAME = /^[a-zA-Z0-9._-]+$/;
const ARN_CHARS = /^[a-zA-Z0-9._/\-:]+$/;
const QUERY_ID = /^[a-f0-9-]{36}$/;
const DEFAULT_PAGE = 1000;

const operations: Record<string, Operation> = {
  StartQuery: startQuery,
  DescribeQuery: describeQuery,
  GetQueryResults: getQueryResults,
  CancelQuery: cancelQuery,
  ListQueries: listQueries,
  ListChannels: listChannels,
  GetChannel: getChannel,
  CreateChannel: createChannel,
  ListEventDataStores: listEventDataStores,
  GetEventDataStore: getEventDataStore,
  CreateEventDataStore: createEventDataStore,
  UpdateEventDataStore: updateEventDataStore,
  PutResourcePolicy: putResourcePolicy,
  GetResourcePolicy: getResourcePolicy,
  DeleteResourcePolicy: deleteResourcePolicy,
};

/** Names of the operations the local lake implements. */
export const CONTROL_PLANE_OPERATIONS = Object.keys(operations);

export async function runControlPlane(context: ControlPlaneContext, target: string | undefined, body: Buffer): Promise<unknown> {
  const prefix = [TARGET_PREFIX, SHORT_TARGET_PREFIX].find((p) => target?.startsWith(p));
  if (target === undefined || prefix === undefined) {
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${target === undefined ? '(no X-Amz-Target header)' : target}.`);
  }
  const name = target.slice(prefix.length);
  const operation = operations[name];
  if (!operation) {
    throw new AwsServiceError('UnsupportedOperationException', `The local lake does not implement ${name}; it implements ${CONTROL_PLANE_OPERATIONS.join(', ')}.`);
  }
  const input = parseJsonBody(body);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new AwsServiceError('SerializationException', 'The request body must be a JSON object.');
  return operation(context, input as Input);
}

// ---- queries ----

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
      EventsMatched: result?.rows.length ?? 0,
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
  const page = result.strings.slice(offset, offset + max);
  const next = offset + page.length;
  return omitUndefined({
    QueryStatus: record.status,
    QueryStatistics: { ResultsCount: page.length, TotalResultsCount: result.strings.length, BytesScanned: result.bytesScanned },
    QueryResultRows: page.map((row) => row.map((value, i) => ({ [result.columns[i] as string]: value }))),
    NextToken: next < result.strings.length ? pageToken(`q:${record.id}`, next) : undefined,
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

// ---- channels ----

function listChannels(context: ControlPlaneContext, input: Input): unknown {
  return paginate(input, 'channels', [...context.store.catalog.channels], (c: ChannelInfo) => ({ ChannelArn: c.arn, Name: c.name }), 'Channels');
}

function getChannel(context: ControlPlaneContext, input: Input): unknown {
  const channel = findChannel(context, required(input, 'Channel', 'ChannelARNInvalidException'));
  const status = context.store.ingestionStatus(channel);
  return {
    ChannelArn: channel.arn,
    Name: channel.name,
    Source: channel.source,
    SourceConfig: { ApplyToAllRegions: false, AdvancedEventSelectors: ACTIVITY_AUDIT_LOG_SELECTORS },
    Destinations: channel.destinations,
    IngestionStatus: omitUndefined({
      LatestIngestionSuccessTime: status.latestSuccessTime === undefined ? undefined : seconds(status.latestSuccessTime),
      LatestIngestionSuccessEventID: status.latestSuccessEventID,
      LatestIngestionErrorCode: status.latestErrorCode,
      LatestIngestionAttemptTime: status.latestAttemptTime === undefined ? undefined : seconds(status.latestAttemptTime),
      LatestIngestionAttemptEventID: status.latestAttemptEventID,
    }),
  };
}

function createChannel(context: ControlPlaneContext, input: Input): unknown {
  const { catalog } = context.store;
  const name = required(input, 'Name');
  checkName(name, 'Name');
  const source = required(input, 'Source');
  if (source.length > 256) throw new AwsServiceError('InvalidParameterException', 'Source must be 1 to 256 characters.');
  const destinationsInput = input.Destinations;
  if (!Array.isArray(destinationsInput) || destinationsInput.length < 1 || destinationsInput.length > 200) {
    throw new AwsServiceError('InvalidParameterException', 'Destinations must list 1 to 200 destinations.');
  }
  const destinations: ChannelDestination[] = destinationsInput.map((destination: unknown, index) => {
    const d = object(destination, `Destinations[${index}]`);
    const type = required(d, 'Type');
    const location = required(d, 'Location');
    if (type === 'AWS_SERVICE') throw new AwsServiceError('InvalidParameterException', 'AWS_SERVICE destinations belong to service-linked channels, which the local lake does not have.');
    if (type !== 'EVENT_DATA_STORE') throw new AwsServiceError('InvalidParameterException', `Destinations[${index}].Type must be EVENT_DATA_STORE or AWS_SERVICE (actual: ${type}).`);
    const eds = findEventDataStore(context, location);
    if (!acceptsActivityAuditLog(eds)) {
      throw new AwsServiceError(
        'InvalidEventDataStoreCategoryException',
        `The event data store ${eds.id} does not collect eventCategory ActivityAuditLog; give it an advanced event selector with eventCategory = ActivityAuditLog.`,
      );
    }
    return { Type: 'EVENT_DATA_STORE', Location: eds.arn };
  });
  const tags = tagList(input.Tags);
  if (catalog.channels.some((c) => c.name === name)) throw new AwsServiceError('ChannelAlreadyExistsException', `A channel named ${name} already exists.`);
  if (catalog.channels.length >= MAX_CHANNELS) throw new AwsServiceError('ChannelMaxLimitExceededException', `The account already has the maximum of ${MAX_CHANNELS} channels.`);
  const channel = catalog.addChannel({ name, source, destinations, tags }, context.now());
  return { ChannelArn: channel.arn, Name: channel.name, Source: channel.source, Destinations: channel.destinations, Tags: channel.tags };
}

// ---- event data stores ----

function listEventDataStores(context: ControlPlaneContext, input: Input): unknown {
  integer(input, 'MaxResults', 1, 1000, 'InvalidMaxResultsException');
  return paginate(input, 'stores', [...context.store.catalog.eventDataStores], (s: EventDataStoreInfo) => ({ EventDataStoreArn: s.arn, Name: s.name }), 'EventDataStores');
}

function getEventDataStore(context: ControlPlaneContext, input: Input): unknown {
  return describeStore(findEventDataStore(context, required(input, 'EventDataStore', 'EventDataStoreARNInvalidException')));
}

async function createEventDataStore(context: ControlPlaneContext, input: Input): Promise<unknown> {
  const { catalog } = context.store;
  const name = required(input, 'Name');
  checkName(name, 'Name');
  const billingMode = (string(input, 'BillingMode') ?? 'EXTENDABLE_RETENTION_PRICING') as BillingMode;
  if (billingMode !== 'EXTENDABLE_RETENTION_PRICING' && billingMode !== 'FIXED_RETENTION_PRICING') {
    throw new AwsServiceError('InvalidParameterException', `BillingMode must be EXTENDABLE_RETENTION_PRICING or FIXED_RETENTION_PRICING (actual: ${String(billingMode)}).`);
  }
  const retentionDays = retention(input, billingMode) ?? (billingMode === 'FIXED_RETENTION_PRICING' ? FIXED_PRICING_MAX_RETENTION_DAYS : 366);
  const selectors = selectorList(input.AdvancedEventSelectors);
  const kmsKeyId = string(input, 'KmsKeyId', { max: 350 });
  if (catalog.eventDataStores.some((s) => s.name === name)) throw new AwsServiceError('EventDataStoreAlreadyExistsException', `An event data store named ${name} already exists.`);
  if (catalog.eventDataStores.length >= MAX_EVENT_DATA_STORES) {
    throw new AwsServiceError('EventDataStoreMaxLimitExceededException', `The account already has the maximum of ${MAX_EVENT_DATA_STORES} event data stores.`);
  }
  const eds = await context.store.createEventDataStore(
    {
      name,
      retentionDays,
      billingMode,
      multiRegionEnabled: boolean(input, 'MultiRegionEnabled') ?? true,
      organizationEnabled: boolean(input, 'OrganizationEnabled') ?? false,
      terminationProtectionEnabled: boolean(input, 'TerminationProtectionEnabled') ?? true,
      advancedEventSelectors: selectors ?? [{ Name: 'Default management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
      tags: tagList(input.TagsList),
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    },
    context.now(),
  );
  return { ...describeStore(eds), TagsList: eds.tags };
}

function updateEventDataStore(context: ControlPlaneContext, input: Input): unknown {
  const eds = findEventDataStore(context, required(input, 'EventDataStore', 'EventDataStoreARNInvalidException'));
  const changes: Partial<EventDataStoreInfo> = {};
  const name = string(input, 'Name');
  if (name !== undefined) {
    checkName(name, 'Name');
    if (context.store.catalog.eventDataStores.some((s) => s.name === name && s.id !== eds.id)) {
      throw new AwsServiceError('EventDataStoreAlreadyExistsException', `An event data store named ${name} already exists.`);
    }
    changes.name = name;
  }
  const billingMode = string(input, 'BillingMode') as BillingMode | undefined;
  if (billingMode !== undefined) {
    if (billingMode !== 'EXTENDABLE_RETENTION_PRICING' && !(billingMode === 'FIXED_RETENTION_PRICING' && eds.billingMode === 'FIXED_RETENTION_PRICING')) {
      throw new AwsServiceError('InvalidParameterException', 'BillingMode can only be changed from FIXED_RETENTION_PRICING to EXTENDABLE_RETENTION_PRICING.');
    }
    changes.billingMode = billingMode;
  }
  const days = retention(input, billingMode ?? eds.billingMode);
  if (days !== undefined) changes.retentionDays = days;
  const selectors = selectorList(input.AdvancedEventSelectors);
  if (selectors !== undefined) changes.advancedEventSelectors = selectors;
  for (const [member, field] of [['MultiRegionEnabled', 'multiRegionEnabled'], ['OrganizationEnabled', 'organizationEnabled'], ['TerminationProtectionEnabled', 'terminationProtectionEnabled']] as const) {
    const value = boolean(input, member);
    if (value !== undefined) changes[field] = value;
  }
  return describeStore(context.store.catalog.updateEventDataStore(eds, changes, context.now()));
}

// ---- resource policies (channels only) ----

function putResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  const policy = required(input, 'ResourcePolicy');
  if (policy.length > 8192) throw new AwsServiceError('ResourcePolicyNotValidException', 'ResourcePolicy must be 1 to 8192 characters.');
  const problem = parseChannelPolicy(policy, channel.arn);
  if (typeof problem === 'string') throw new AwsServiceError('ResourcePolicyNotValidException', problem);
  context.store.catalog.setResourcePolicy(channel, policy, context.now());
  return { ResourceArn: channel.arn, ResourcePolicy: policy };
}

function getResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  if (channel.resourcePolicy === undefined) throw new AwsServiceError('ResourcePolicyNotFoundException', `The channel ${channel.arn} has no resource policy.`);
  return { ResourceArn: channel.arn, ResourcePolicy: channel.resourcePolicy };
}

function deleteResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  if (channel.resourcePolicy === undefined) throw new AwsServiceError('ResourcePolicyNotFoundException', `The channel ${channel.arn} has no resource policy.`);
  context.store.catalog.setResourcePolicy(channel, undefined, context.now());
  return {};
}

function policyChannel(context: ControlPlaneContext, input: Input): ChannelInfo {
  const arn = required(input, 'ResourceArn', 'ResourceARNNotValidException');
  if (!ARN_CHARS.test(arn) || !arn.startsWith('arn:')) throw new AwsServiceError('ResourceARNNotValidException', `${arn} is not a valid resource ARN.`);
  if (!/:channel\//.test(arn)) throw new AwsServiceError('ResourceTypeNotSupportedException', 'The local lake supports resource policies on channels only.');
  const channel = context.store.catalog.findChannel(arn);
  if (!channel) throw new AwsServiceError('ResourceNotFoundException', `The channel ${arn} does not exist.`);
  return channel;
}

// ---- helpers ----

function describeStore(eds: EventDataStoreInfo): Record<string, unknown> {
  return omitUndefined({
    EventDataStoreArn: eds.arn,
    Name: eds.name,
    Status: 'ENABLED',
    AdvancedEventSelectors: eds.advancedEventSelectors,
    MultiRegionEnabled: eds.multiRegionEnabled,
    OrganizationEnabled: eds.organizationEnabled,
    RetentionPeriod: eds.retentionDays,
    TerminationProtectionEnabled: eds.terminationProtectionEnabled,
    CreatedTimestamp: seconds(eds.createdAt),
    UpdatedTimestamp: seconds(eds.updatedAt),
    KmsKeyId: eds.kmsKeyId,
    BillingMode: eds.billingMode,
  });
}

function acceptsActivityAuditLog(eds: EventDataStoreInfo): boolean {
  return eds.advancedEventSelectors.some((selector) =>
    selector.FieldSelectors.some((field) => field.Field === 'eventCategory' && (field.Equals ?? []).includes('ActivityAuditLog')),
  );
}

function findEventDataStore(context: ControlPlaneContext, idOrArn: string): EventDataStoreInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && !/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/[A-Za-z0-9-]+$/.test(idOrArn))) {
    throw new AwsServiceError('EventDataStoreARNInvalidException', `The specified event data store ARN is not valid or does not map to an event data store in your account: ${idOrArn}`);
  }
  const eds = context.store.catalog.findEventDataStore(idOrArn);
  if (!eds) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store was not found: ${idOrArn}`);
  return eds;
}

function findChannel(context: ControlPlaneContext, idOrArn: string): ChannelInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && parseChannelArn(idOrArn) === undefined)) {
    throw new AwsServiceError('ChannelARNInvalidException', `The specified channel ARN or ID is not valid: ${idOrArn}`);
  }
  const channel = context.store.catalog.findChannel(idOrArn);
  if (!channel) throw new AwsServiceError('ChannelNotFoundException', `The channel ${idOrArn} does not exist.`);
  return channel;
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

function retention(input: Input, billingMode: BillingMode): number | undefined {
  const max = billingMode === 'FIXED_RETENTION_PRICING' ? FIXED_PRICING_MAX_RETENTION_DAYS : MAX_RETENTION_DAYS;
  return integer(input, 'RetentionPeriod', MIN_RETENTION_DAYS, max, 'InvalidParameterException');
}

function checkName(name: string, member: string): void {
  if (name.length < 3 || name.length > 128 || !NAME.test(name)) {
    throw new AwsServiceError('InvalidParameterException', `${member} must be 3 to 128 characters of letters, digits, '.', '_' and '-' (actual: ${name}).`);
  }
}

function selectorList(value: unknown): AdvancedEventSelector[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new AwsServiceError('InvalidEventSelectorsException', 'AdvancedEventSelectors must be a list.');
  return value.map((selector: unknown, i) => {
    const s = object(selector, `AdvancedEventSelectors[${i}]`);
    if (!Array.isArray(s.FieldSelectors) || s.FieldSelectors.length === 0) {
      throw new AwsServiceError('InvalidEventSelectorsException', `AdvancedEventSelectors[${i}].FieldSelectors must list at least one field selector.`);
    }
    for (const [j, field] of (s.FieldSelectors as unknown[]).entries()) {
      const f = object(field, `AdvancedEventSelectors[${i}].FieldSelectors[${j}]`);
      if (typeof f.Field !== 'string' || f.Field.length === 0) throw new AwsServiceError('InvalidEventSelectorsException', `AdvancedEventSelectors[${i}].FieldSelectors[${j}].Field is required.`);
    }
    return s as unknown as AdvancedEventSelector;
  });
}

function tagList(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 200) throw new AwsServiceError('InvalidTagParameterException', 'Tags must be a list of at most 200 {Key, Value}.');
  return value.map((tag: unknown, i) => {
    const t = object(tag, `Tags[${i}]`);
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw new AwsServiceError('InvalidTagParameterException', `Tags[${i}].Key must be 1 to 128 characters.`);
    if (t.Value !== undefined && (typeof t.Value !== 'string' || t.Value.length > 256)) throw new AwsServiceError('InvalidTagParameterException', `Tags[${i}].Value must be at most 256 characters.`);
    return t.Value === undefined ? { Key: t.Key } : { Key: t.Key, Value: t.Value };
  });
}

function paginate<T>(input: Input, scope: string, items: T[], render: (item: T) => unknown, key: string): Record<string, unknown> {
  const max = integer(input, 'MaxResults', 1, 1000, 'InvalidMaxResultsException') ?? DEFAULT_PAGE;
  const offset = pageOffset(input, scope);
  const page = items.slice(offset, offset + max);
  const next = offset + page.length;
  return omitUndefined({ [key]: page.map(render), NextToken: next < items.length ? pageToken(scope, next) : undefined });
}

function pageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset }), 'utf8').toString('base64url');
}

function pageOffset(input: Input, scope: string): number {
  const token = string(input, 'NextToken');
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsServiceError('InvalidNextTokenException', 'A token that is not valid, or a token that was previously used in a request with different parameters.');
}

function object(value: unknown, where: string): Input {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AwsServiceError('SerializationException', `${where} must be a structure.`);
  return value as Input;
}

function string(input: Input, member: string, limits: { max?: number } = {}): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `${member} must be a string.`);
  if (value.length === 0 || (limits.max !== undefined && value.length > limits.max)) {
    throw new AwsServiceError('InvalidParameterException', `${member} must be 1 to ${limits.max ?? 'any number of'} characters.`);
  }
  return value;
}

function required(input: Input, member: string, code = 'InvalidParameterException'): string {
  const value = string(input, member);
  if (value === undefined) throw new AwsServiceError(code, `${member} is required.`);
  return value;
}

function integer(input: Input, member: string, min: number, max: number, code: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsServiceError('SerializationException', `${member} must be an integer.`);
  if (value < min || value > max) throw new AwsServiceError(code, `${member} must be from ${min} to ${max} (actual: ${value}).`);
  return value;
}

function boolean(input: Input, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsServiceError('SerializationException', `${member} must be a boolean.`);
  return value;
}

/** awsJson1_1 timestamps arrive as epoch seconds (numbers); ISO text is accepted too. */
function timestamp(input: Input, member: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsServiceError('SerializationException', `${member} must be a timestamp.`);
}

function seconds(ms: number): number {
  return ms / 1000;
}

function omitUndefined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
