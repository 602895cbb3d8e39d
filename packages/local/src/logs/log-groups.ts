/**
 * Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, PutRetentionPolicy,
 * DeleteRetentionPolicy, PutLogGroupDeletionProtection.
 */
import { AwsServiceError } from '../aws-error.js';
import type { JsonInput } from '../aws-json-dispatch.js';
import { requireGroup, resolveGroupIdentifier, type LogsOperation } from './context.js';
import type { LogGroupClass } from './log-catalog.js';
import type { OpenGroup } from './log-store.js';
import { pageAfter } from './pagination.js';
import { invalidParameter, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, NEXT_TOKEN, Validation } from './validation.js';

/** The model's `Days` values. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const LOG_GROUP_CLASSES: readonly LogGroupClass[] = ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'];
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function groupName(v: Validation, input: JsonInput): () => string {
  const name = v.string(input, 'logGroupName', { ...LOG_GROUP_NAME, required: true });
  return () => name as string;
}

const createLogGroup: LogsOperation = async ({ store, now }, input) => {
  const v = new Validation();
  const name = groupName(v, input);
  const kmsKeyId = v.string(input, 'kmsKeyId', { max: 256 });
  const logGroupClass = v.oneOf(input, 'logGroupClass', LOG_GROUP_CLASSES);
  const deletionProtectionEnabled = v.boolean(input, 'deletionProtectionEnabled');
  const tags = tagMap(v, input);
  v.done();
  if (name().startsWith('aws/')) throw invalidParameter("Log group names can't start with 'aws/'.");
  if (store.logs.group(name())) throw new AwsServiceError('ResourceAlreadyExistsException', 'The specified log group already exists');
  await store.logs.createGroup({
    name: name(),
    creationTime: now(),
    logGroupClass: logGroupClass ?? 'STANDARD',
    deletionProtectionEnabled: deletionProtectionEnabled ?? false,
    tags,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
  });
  return {};
};

const deleteLogGroup: LogsOperation = async ({ store }, input) => {
  const v = new Validation();
  const name = groupName(v, input);
  v.done();
  const group = requireGroup(store.logs, name());
  refuseIfProtected(group);
  await store.logs.deleteGroup(group);
  return {};
};

/** "Deletion protection blocks all deletion operations until it is explicitly disabled." */
export function refuseIfProtected(group: OpenGroup): void {
  if (group.info.deletionProtectionEnabled) {
    throw new AwsServiceError('ValidationException', 'Cannot delete log group with deletion protection enabled. Disable deletion protection first.');
  }
}

const describeLogGroups: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const prefix = v.string(input, 'logGroupNamePrefix', LOG_GROUP_NAME);
  const pattern = v.string(input, 'logGroupNamePattern', { max: 512, pattern: /^[.\-_/#A-Za-z0-9]*$/, patternText: '[\\.\\-_/#A-Za-z0-9]*' });
  const token = v.string(input, 'nextToken', NEXT_TOKEN);
  const limit = v.integer(input, 'limit', { min: 1, max: 50 }) ?? 50;
  const logGroupClass = v.oneOf(input, 'logGroupClass', LOG_GROUP_CLASSES);
  const identifiers = v.list(input, 'logGroupIdentifiers', { min: 1, max: 50 });
  identifiers?.forEach((_, i) => v.string({ value: identifiers[i] }, 'value', LOG_GROUP_IDENTIFIER, `logGroupIdentifiers.${i + 1}.member`));
  v.boolean(input, 'includeLinkedAccounts');
  v.list(input, 'accountIdentifiers', { max: 20 });
  v.done();
  const given = [prefix, pattern, identifiers].filter((x) => x !== undefined).length;
  if (given > 1) throw invalidParameter('logGroupNamePrefix, logGroupNamePattern and logGroupIdentifiers are mutually exclusive parameters.');
  let groups = store.logs.groups();
  if (prefix !== undefined) groups = groups.filter((g) => g.info.name.startsWith(prefix));
  if (pattern !== undefined) groups = groups.filter((g) => g.info.name.includes(pattern));
  if (logGroupClass !== undefined) groups = groups.filter((g) => g.info.logGroupClass === logGroupClass);
  if (identifiers !== undefined) {
    const wanted = new Set(identifiers.map((identifier) => {
      try {
        return resolveGroupIdentifier(store.logs, identifier as string).info.name;
      } catch {
        return undefined;
      }
    }));
    groups = groups.filter((g) => wanted.has(g.info.name));
  }
  const page = pageAfter(groups, (g) => g.info.name, token, limit, 'groups');
  // "If you specify logGroupNamePattern …, then only arn, creationTime, and logGroupName are included in the response."
  const render = pattern === undefined ? (g: OpenGroup) => describeGroup(store.logs.catalog.groupArn(g.info.name), g) : (g: OpenGroup) => ({ logGroupName: g.info.name, creationTime: g.info.creationTime, arn: `${store.logs.catalog.groupArn(g.info.name)}:*` });
  return { logGroups: page.items.map(render), ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) };
};

function describeGroup(arn: string, group: OpenGroup): Record<string, unknown> {
  const { info } = group;
  let storedBytes = 0;
  for (const stream of group.streams.values()) storedBytes += stream.events.storedBytes;
  return {
    logGroupName: info.name,
    creationTime: info.creationTime,
    ...(info.retentionInDays === undefined ? {} : { retentionInDays: info.retentionInDays }),
    metricFilterCount: 0,
    arn: `${arn}:*`,
    storedBytes,
    ...(info.kmsKeyId === undefined ? {} : { kmsKeyId: info.kmsKeyId }),
    logGroupClass: info.logGroupClass,
    logGroupArn: arn,
    deletionProtectionEnabled: info.deletionProtectionEnabled,
  };
}

const putRetentionPolicy: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const name = groupName(v, input);
  const days = v.integer(input, 'retentionInDays', { required: true });
  v.done();
  if (!(RETENTION_DAYS as readonly number[]).includes(days as number)) {
    throw invalidParameter(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
  const group = requireGroup(store.logs, name());
  store.logs.catalog.updateGroup(group.info, { retentionInDays: days });
  return {};
};

const deleteRetentionPolicy: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const name = groupName(v, input);
  v.done();
  const group = requireGroup(store.logs, name());
  store.logs.catalog.updateGroup(group.info, { retentionInDays: undefined });
  return {};
};

const putLogGroupDeletionProtection: LogsOperation = ({ store }, input) => {
  const v = new Validation();
  const identifier = v.string(input, 'logGroupIdentifier', { ...LOG_GROUP_IDENTIFIER, required: true });
  const value = v.boolean(input, 'deletionProtectionEnabled', { required: true });
  v.done();
  const group = resolveGroupIdentifier(store.logs, identifier as string);
  store.logs.catalog.updateGroup(group.info, { deletionProtectionEnabled: value });
  return {};
};

function tagMap(v: Validation, input: JsonInput): Record<string, string> {
  const tags = v.structure(input.tags, 'tags');
  if (tags === undefined) return {};
  const entries = Object.entries(tags);
  if (entries.length < 1 || entries.length > 50) v.fail(`{… ${entries.length} tags}`, 'tags', 'Member must have length between 1 and 50');
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `tags.${key} must be a string.`);
    if (key.length > 128 || !TAG_KEY.test(key)) v.fail(key, 'tags', 'Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]');
    if (value.length > 256 || !TAG_VALUE.test(value)) v.fail(value, `tags.${key}`, 'Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$');
    out[key] = value;
  }
  return out;
}

export const logGroupOperations: Record<string, LogsOperation> = {
  CreateLogGroup: createLogGroup,
  DeleteLogGroup: deleteLogGroup,
  DescribeLogGroups: describeLogGroups,
  PutRetentionPolicy: putRetentionPolicy,
  DeleteRetentionPolicy: deleteRetentionPolicy,
  PutLogGroupDeletionProtection: putLogGroupDeletionProtection,
};
