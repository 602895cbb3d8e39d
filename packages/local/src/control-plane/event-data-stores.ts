/** ListEventDataStores, GetEventDataStore, CreateEventDataStore and UpdateEventDataStore. */
import { AwsServiceError } from '../aws-error.js';
import type { AdvancedEventSelector, BillingMode, EventDataStoreInfo } from '../catalog.js';
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '../options.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { paginate } from './pagination.js';
import { ARN_CHARS, boolean, checkName, integer, object, omitUndefined, required, seconds, string, tagList } from './validation.js';

const MAX_EVENT_DATA_STORES = 10;
const FIXED_PRICING_MAX_RETENTION_DAYS = 2557;

export const eventDataStoreOperations: Record<string, Operation> = {
  ListEventDataStores: listEventDataStores,
  GetEventDataStore: getEventDataStore,
  CreateEventDataStore: createEventDataStore,
  UpdateEventDataStore: updateEventDataStore,
};

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

export function acceptsActivityAuditLog(eds: EventDataStoreInfo): boolean {
  return eds.advancedEventSelectors.some((selector) =>
    selector.FieldSelectors.some((field) => field.Field === 'eventCategory' && (field.Equals ?? []).includes('ActivityAuditLog')),
  );
}

export function findEventDataStore(context: ControlPlaneContext, idOrArn: string): EventDataStoreInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && !/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/[A-Za-z0-9-]+$/.test(idOrArn))) {
    throw new AwsServiceError('EventDataStoreARNInvalidException', `The specified event data store ARN is not valid or does not map to an event data store in your account: ${idOrArn}`);
  }
  const eds = context.store.catalog.findEventDataStore(idOrArn);
  if (!eds) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store was not found: ${idOrArn}`);
  return eds;
}

function retention(input: Input, billingMode: BillingMode): number | undefined {
  const max = billingMode === 'FIXED_RETENTION_PRICING' ? FIXED_PRICING_MAX_RETENTION_DAYS : MAX_RETENTION_DAYS;
  return integer(input, 'RetentionPeriod', MIN_RETENTION_DAYS, max, 'InvalidParameterException');
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
