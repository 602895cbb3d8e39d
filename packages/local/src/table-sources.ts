/**
 * What SQL can name in `FROM`: today one table per event data store, named by its id. A source
 * says where its rows come from (a framed, hash-chained log), in which shape (its schema), how
 * long they stay visible, and where the durable columnar copy of the log lives. Another kind
 * of source (a CloudWatch Logs log group, say) is another producer of `TableSource`s with its
 * own schema; the engine needs nothing else.
 */
import { join } from 'node:path';
import { isActive, type AdvancedEventSelector, type Catalog, type EventDataStoreInfo } from './catalog.js';
import { LOG_FILE } from './event-log.js';
import { cloudTrailEventSchema, configurationItemSchema, integrationEventSchema, type TableSchema } from './table-schemas.js';
import { LogCatalog } from './logs/log-catalog.js';
import { logGroupSources } from './logs/log-group-tables.js';

export interface TableSource {
  /** The table name as SQL writes it (unquoted), e.g. an event data store id. Unique, case-insensitive. */
  readonly name: string;
  readonly schema: TableSchema;
  /** The JSON Lines log the rows are read from; it stays the source of truth. */
  readonly logPath: string;
  /** The ARN (or other identity) the log's hash chain starts from; a columnar copy of another log is never used. */
  readonly identity: string;
  /** Where the columnar copy of the log is kept. */
  readonly columnarDir: string;
  /** Rows stored longer ago than this are not returned. */
  readonly retentionDays: number;
}

/** The directory under a data directory that holds every columnar copy. */
export const COLUMNAR_DIR = 'columnar';

/** Every table SQL can name: the event data stores, and the CloudWatch Logs log groups (logs/log-group-tables.ts). */
export function tableSources(catalog: Catalog, logs: LogCatalog): TableSource[] {
  const stores = eventDataStoreSources(catalog);
  return [...stores, ...logGroupSources(logs, stores.map((store) => store.name))];
}

/** `tableSources` of a data directory another process may be writing (`auditlake query`): the log groups as each statement finds them. */
export function readOnlyTableSources(catalog: Catalog): () => TableSource[] {
  return () => tableSources(catalog, LogCatalog.open(catalog.dataDir, catalog, { readOnly: true }));
}

/** The stores SQL can read: those not pending deletion. */
export function eventDataStoreSources(catalog: Catalog): TableSource[] {
  return catalog.eventDataStores.filter(isActive).map((eds) => ({
    name: eds.id,
    schema: schemaOf(eds),
    logPath: join(catalog.storeDir(eds.id), LOG_FILE),
    identity: eds.arn,
    columnarDir: join(catalog.dataDir, COLUMNAR_DIR, eds.id),
    retentionDays: eds.retentionDays,
  }));
}

/**
 * A store whose selectors pick `eventCategory = ActivityAuditLog` holds integration events,
 * `ConfigurationItem` AWS Config items; every other store holds CloudTrail events (a store
 * without an `eventCategory` selector is CloudTrail's default, all management events).
 */
export function schemaOf(eds: Pick<EventDataStoreInfo, 'advancedEventSelectors'>): TableSchema {
  const found = categories(eds.advancedEventSelectors);
  if (found.includes('ActivityAuditLog')) return integrationEventSchema;
  if (found.includes('ConfigurationItem')) return configurationItemSchema;
  return cloudTrailEventSchema;
}

function categories(selectors: readonly AdvancedEventSelector[] | undefined): string[] {
  const found: string[] = [];
  for (const selector of selectors ?? []) {
    for (const field of selector.FieldSelectors ?? []) {
      if (field.Field === 'eventCategory') found.push(...(field.Equals ?? []));
    }
  }
  return found;
}
