/** ListEventDataStores, GetEventDataStore, CreateEventDataStore and UpdateEventDataStore. */
import { AwsServiceError } from '../aws-error.js';
import { isActive, type AdvancedEventSelector, type BillingMode, type EventDataStoreInfo } from '../catalog.js';
import { LOCAL_LAKE_DEFAULTS, SERVICE_LIMITS } from '../options.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { paginate } from './pagination.js';
import { ARN_CHARS, boolean, checkName, integer, object, omitUndefined, required, seconds, string, tagList } from './validation.js';


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
  return describeStore(findEventDataStore(context, required(input, 'EventDataStore', 'EventDataStoreARNInvalidException'), { pending: 'allow' }));
}

async function createEventDataStore(context: ControlPlaneContext, input: Input): Promise<unknown> {
  const name = required(input, 'Name');
  checkName(name, 'Name');
  const billingMode = (string(input, 'BillingMode') ?? 'EXTENDABLE_RETENTION_PRICING') as BillingMode;
  if (billingMode !== 'EXTENDABLE_RETENTION_PRICING' && billingMode !== 'FIXED_RETENTION_PRICING') {
    throw new AwsServiceError('InvalidParameterException', `BillingMode must be EXTENDABLE_RETENTION_PRICING or FIXED_RETENTION_PRICING (actual: ${String(billingMode)}).`);
  }
  const retentionDays = retention(input, billingMode) ?? (billingMode === 'FIXED_RETENTION_PRICING' ? SERVICE_LIMITS.fixedPricingMaxRetentionDays : LOCAL_LAKE_DEFAULTS.retentionDays);
  const selectors = selectorList(input.AdvancedEventSelectors);
  const kmsKeyId = string(input, 'KmsKeyId', { max: 350 });
  const tags = tagList(input.TagsList);
  if (tags.length > SERVICE_LIMITS.maxTags) throw new AwsServiceError('TagsLimitExceededException', `An event data store can have at most ${SERVICE_LIMITS.maxTags} tags.`);
  checkNameFree(context, name, undefined);
  checkQuota(context);
  const eds = await context.store.createEventDataStore(
    {
      name,
      retentionDays,
      billingMode,
      multiRegionEnabled: boolean(input, 'MultiRegionEnabled') ?? true,
      organizationEnabled: boolean(input, 'OrganizationEnabled') ?? false,
      terminationProtectionEnabled: boolean(input, 'TerminationProtectionEnabled') ?? true,
      advancedEventSelectors: selectors ?? [{ Name: 'Default management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
      tags,
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
    checkNameFree(context, name, eds);
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

/**
 * Stores `PENDING_DELETION` hold neither their name nor a place in the quota of 10: the
 * service's docs say they count toward the quota until purged, but a local lake must let a
 * test suite create and delete a store per run for ever (README, "Compatibility").
 */
export function checkNameFree(context: ControlPlaneContext, name: string, self: EventDataStoreInfo | undefined): void {
  if (context.store.catalog.eventDataStores.some((s) => s.name === name && s !== self && isActive(s))) {
    throw new AwsServiceError('EventDataStoreAlreadyExistsException', `An event data store named ${name} already exists.`);
  }
}

export function checkQuota(context: ControlPlaneContext): void {
  if (context.store.catalog.eventDataStores.filter(isActive).length >= SERVICE_LIMITS.maxEventDataStores) {
    throw new AwsServiceError(
      'EventDataStoreMaxLimitExceededException',
      `The account already has the maximum of ${SERVICE_LIMITS.maxEventDataStores} event data stores (stores pending deletion do not count in the local lake).`,
    );
  }
}

export function describeStore(eds: EventDataStoreInfo): Record<string, unknown> {
  return omitUndefined({
    EventDataStoreArn: eds.arn,
    Name: eds.name,
    Status: eds.status ?? 'ENABLED',
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

/**
 * A store by ARN or id. One `PENDING_DELETION` is `InactiveEventDataStoreException` (what the
 * model lists for calls on it), unless the caller allows it.
 */
export function findEventDataStore(context: ControlPlaneContext, idOrArn: string, options: { pending?: 'allow' } = {}): EventDataStoreInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && !/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/[A-Za-z0-9-]+$/.test(idOrArn))) {
    throw new AwsServiceError('EventDataStoreARNInvalidException', `The specified event data store ARN is not valid or does not map to an event data store in your account: ${idOrArn}`);
  }
  const eds = context.store.catalog.findEventDataStore(idOrArn);
  if (!eds) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store was not found: ${idOrArn}`);
  if (!isActive(eds) && options.pending !== 'allow') {
    throw new AwsServiceError('InactiveEventDataStoreException', `The event data store ${eds.arn} is pending deletion; restore it with RestoreEventDataStore first.`);
  }
  return eds;
}

function retention(input: Input, billingMode: BillingMode): number | undefined {
  const max = billingMode === 'FIXED_RETENTION_PRICING' ? SERVICE_LIMITS.fixedPricingMaxRetentionDays : SERVICE_LIMITS.maxRetentionDays;
  return integer(input, 'RetentionPeriod', SERVICE_LIMITS.minRetentionDays, max, 'InvalidParameterException');
}

const SELECTOR_OPERATORS = ['Equals', 'StartsWith', 'EndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith'] as const;
/** The docs: "up to five advanced event selectors for each event data store". */
const MAX_SELECTORS = 5;
const SELECTOR_FIELD = /^[\w|\d|.|_]+$/;

/**
 * A clean copy of the selectors, member by member with the model's constraints, so that
 * nothing the model does not know (nor its nesting) reaches the catalog.
 */
function selectorList(value: unknown): AdvancedEventSelector[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new AwsServiceError('InvalidEventSelectorsException', 'AdvancedEventSelectors must be a list.');
  if (value.length > MAX_SELECTORS) throw new AwsServiceError('InvalidEventSelectorsException', `AdvancedEventSelectors can hold at most ${MAX_SELECTORS} selectors (actual: ${value.length}).`);
  return value.map((selector: unknown, i) => {
    const where = `AdvancedEventSelectors[${i}]`;
    const s = object(selector, where);
    const name = s.Name;
    if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 1000)) {
      throw new AwsServiceError('InvalidEventSelectorsException', `${where}.Name must be a string of at most 1000 characters.`);
    }
    if (!Array.isArray(s.FieldSelectors) || s.FieldSelectors.length === 0) {
      throw new AwsServiceError('InvalidEventSelectorsException', `${where}.FieldSelectors must list at least one field selector.`);
    }
    const fieldSelectors = (s.FieldSelectors as unknown[]).map((field, j) => {
      const at = `${where}.FieldSelectors[${j}]`;
      const f = object(field, at);
      if (typeof f.Field !== 'string' || f.Field.length === 0 || f.Field.length > 1000 || !SELECTOR_FIELD.test(f.Field)) {
        throw new AwsServiceError('InvalidEventSelectorsException', `${at}.Field is required: 1 to 1000 characters of letters, digits, '.' and '_'.`);
      }
      const clean: AdvancedEventSelector['FieldSelectors'][number] = { Field: f.Field };
      for (const operator of SELECTOR_OPERATORS) {
        const values = f[operator];
        if (values === undefined || values === null) continue;
        if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v.length >= 1 && v.length <= 2048)) {
          throw new AwsServiceError('InvalidEventSelectorsException', `${at}.${operator} must be a list of 1 or more strings of 1 to 2048 characters.`);
        }
        clean[operator] = [...(values as string[])];
      }
      return clean;
    });
    return typeof name === 'string' ? { Name: name, FieldSelectors: fieldSelectors } : { FieldSelectors: fieldSelectors };
  });
}
