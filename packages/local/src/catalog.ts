/**
 * Channels and event data stores, persisted in `catalog.json` (replaced atomically: written
 * to a temporary file, synced, renamed, directory synced).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from './log-files.js';
import { parseChannelPolicy, type ChannelGrant } from './resource-policy.js';

export const CATALOG_FILE = 'catalog.json';
export const STORES_DIR = 'stores';

export interface Tag {
  Key: string;
  Value?: string;
}

export interface AdvancedEventSelector {
  Name?: string;
  FieldSelectors: { Field: string; Equals?: string[]; StartsWith?: string[]; EndsWith?: string[]; NotEquals?: string[]; NotStartsWith?: string[]; NotEndsWith?: string[] }[];
}

export type BillingMode = 'EXTENDABLE_RETENTION_PRICING' | 'FIXED_RETENTION_PRICING';

/** The statuses the local lake uses of the model's `EventDataStoreStatus`. */
export type EventDataStoreStatus = 'ENABLED' | 'PENDING_DELETION';

export interface EventDataStoreInfo {
  id: string;
  arn: string;
  name: string;
  retentionDays: number;
  billingMode: BillingMode;
  multiRegionEnabled: boolean;
  organizationEnabled: boolean;
  terminationProtectionEnabled: boolean;
  advancedEventSelectors: AdvancedEventSelector[];
  tags: Tag[];
  kmsKeyId?: string;
  /** Absent in catalogs of older versions: `ENABLED`. */
  status?: EventDataStoreStatus;
  /** When `DeleteEventDataStore` made it `PENDING_DELETION` (epoch milliseconds). */
  deletedAt?: number;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface ChannelDestination {
  Type: 'EVENT_DATA_STORE' | 'AWS_SERVICE';
  Location: string;
}

export interface ChannelInfo {
  id: string;
  arn: string;
  name: string;
  source: string;
  /** Locations are event data store ARNs. */
  destinations: ChannelDestination[];
  tags: Tag[];
  resourcePolicy?: string;
  createdAt: number;
  updatedAt: number;
}

interface CatalogFile {
  formatVersion: 1;
  region: string;
  accountId: string;
  defaultChannelId?: string;
  defaultEventDataStoreId?: string;
  eventDataStores: EventDataStoreInfo[];
  channels: ChannelInfo[];
}

/** Whether a store is in use: not `PENDING_DELETION`. */
export function isActive(store: EventDataStoreInfo): boolean {
  return (store.status ?? 'ENABLED') === 'ENABLED';
}

/** The selector an event data store needs to receive events from a channel. */
export const ACTIVITY_AUDIT_LOG_SELECTORS: AdvancedEventSelector[] = [
  { Name: 'Integration events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] },
];

export class Catalog {
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly #file: CatalogFile;
  readonly #grants = new Map<string, ChannelGrant[]>();

  private constructor(dataDir: string, file: CatalogFile) {
    this.dataDir = dataDir;
    this.#file = file;
    this.region = file.region;
    this.accountId = file.accountId;
    for (const channel of file.channels) this.#cacheGrants(channel);
  }

  /**
   * Opens the catalog of `dataDir`. A new one is created (unless `readOnly`) with the given
   * region and account; an existing one keeps its own, and refuses explicitly different ones.
   */
  static open(dataDir: string, options: { region?: string; accountId?: string; defaults: { region: string; accountId: string }; readOnly?: boolean }): Catalog {
    const path = join(dataDir, CATALOG_FILE);
    if (!existsSync(path)) {
      if (options.readOnly) throw new Error(`${dataDir} holds no local lake (no ${CATALOG_FILE}); start one with "auditlake serve --data-dir ${dataDir}"`);
      mkdirSync(join(dataDir, STORES_DIR), { recursive: true });
      const catalog = new Catalog(dataDir, {
        formatVersion: 1,
        region: options.region ?? options.defaults.region,
        accountId: options.accountId ?? options.defaults.accountId,
        eventDataStores: [],
        channels: [],
      });
      catalog.save();
      return catalog;
    }
    let file: CatalogFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as CatalogFile;
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (file.formatVersion !== 1 || !Array.isArray(file.eventDataStores) || !Array.isArray(file.channels)) {
      throw new Error(`${path} is not a catalog this version understands (formatVersion ${String(file.formatVersion)})`);
    }
    for (const [option, value, own] of [['region', options.region, file.region], ['accountId', options.accountId, file.accountId]] as const) {
      if (value !== undefined && value !== own) {
        throw new Error(`${dataDir} belongs to ${option} ${own}, not ${value}: start with the same ${option} or use another data directory`);
      }
    }
    return new Catalog(dataDir, file);
  }

  get eventDataStores(): readonly EventDataStoreInfo[] {
    return this.#file.eventDataStores;
  }

  get channels(): readonly ChannelInfo[] {
    return this.#file.channels;
  }

  get defaultChannel(): ChannelInfo | undefined {
    return this.#file.channels.find((c) => c.id === this.#file.defaultChannelId);
  }

  get defaultEventDataStore(): EventDataStoreInfo | undefined {
    return this.#file.eventDataStores.find((s) => s.id === this.#file.defaultEventDataStoreId);
  }

  setDefaults(channelId: string, eventDataStoreId: string): void {
    const before = { channel: this.#file.defaultChannelId, store: this.#file.defaultEventDataStoreId };
    this.#file.defaultChannelId = channelId;
    this.#file.defaultEventDataStoreId = eventDataStoreId;
    this.#saveOrUndo(() => {
      this.#file.defaultChannelId = before.channel;
      this.#file.defaultEventDataStoreId = before.store;
    });
  }

  /** Where a store's log lives. */
  storeDir(id: string): string {
    return join(this.dataDir, STORES_DIR, id);
  }

  /** Finds a store by id or ARN. */
  findEventDataStore(idOrArn: string): EventDataStoreInfo | undefined {
    return this.#file.eventDataStores.find((s) => s.id === idOrArn || s.arn === idOrArn);
  }

  findChannel(idOrArn: string): ChannelInfo | undefined {
    return this.#file.channels.find((c) => c.id === idOrArn || c.arn === idOrArn);
  }

  grants(channel: ChannelInfo): ChannelGrant[] | undefined {
    return this.#grants.get(channel.id);
  }

  eventDataStoreArn(id: string): string {
    return `arn:aws:cloudtrail:${this.region}:${this.accountId}:eventdatastore/${id}`;
  }

  addEventDataStore(input: Omit<EventDataStoreInfo, 'id' | 'arn' | 'createdAt' | 'updatedAt'>, now: number): EventDataStoreInfo {
    const id = randomUUID();
    const store: EventDataStoreInfo = { ...input, id, arn: this.eventDataStoreArn(id), createdAt: now, updatedAt: now };
    this.#file.eventDataStores.push(store);
    this.#saveOrUndo(() => this.#file.eventDataStores.pop());
    return store;
  }

  /** Changes a store; a change to `undefined` removes that member. */
  updateEventDataStore(store: EventDataStoreInfo, changes: Partial<Omit<EventDataStoreInfo, 'id' | 'arn' | 'createdAt'>>, now: number): EventDataStoreInfo {
    this.#update(store, { ...changes, updatedAt: now });
    return store;
  }

  /** Changes a channel; a change to `undefined` removes that member. */
  updateChannel(channel: ChannelInfo, changes: Partial<Omit<ChannelInfo, 'id' | 'arn' | 'createdAt' | 'resourcePolicy'>>, now: number): ChannelInfo {
    this.#update(channel, { ...changes, updatedAt: now });
    return channel;
  }

  /** Forgets a channel (its resource policy with it). */
  removeChannel(channel: ChannelInfo): void {
    const index = this.#file.channels.indexOf(channel);
    if (index === -1) return;
    this.#file.channels.splice(index, 1);
    const grants = this.#grants.get(channel.id);
    this.#grants.delete(channel.id);
    this.#saveOrUndo(() => {
      this.#file.channels.splice(index, 0, channel);
      if (grants) this.#grants.set(channel.id, grants);
    });
  }

  /** Forgets a store (its files are the caller's to remove). */
  removeEventDataStore(store: EventDataStoreInfo): void {
    const index = this.#file.eventDataStores.indexOf(store);
    if (index === -1) return;
    this.#file.eventDataStores.splice(index, 1);
    this.#saveOrUndo(() => this.#file.eventDataStores.splice(index, 0, store));
  }

  #update<T extends object>(target: T, changes: Partial<T>): void {
    const record = target as Record<string, unknown>;
    const before = { ...record };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete record[key];
      else record[key] = value;
    }
    this.#saveOrUndo(() => {
      for (const key of Object.keys(record)) if (!(key in before)) delete record[key];
      Object.assign(record, before);
    });
  }

  addChannel(input: Omit<ChannelInfo, 'id' | 'arn' | 'createdAt' | 'updatedAt'>, now: number): ChannelInfo {
    const id = randomUUID();
    const channel: ChannelInfo = { ...input, id, arn: `arn:aws:cloudtrail:${this.region}:${this.accountId}:channel/${id}`, createdAt: now, updatedAt: now };
    this.#file.channels.push(channel);
    this.#cacheGrants(channel);
    this.#saveOrUndo(() => {
      this.#file.channels.pop();
      this.#grants.delete(channel.id);
    });
    return channel;
  }

  /** Sets (or with undefined, removes) a channel's resource policy; the text must already be valid. */
  setResourcePolicy(channel: ChannelInfo, policy: string | undefined, now: number): void {
    const before = { policy: channel.resourcePolicy, updatedAt: channel.updatedAt };
    if (policy === undefined) delete channel.resourcePolicy;
    else channel.resourcePolicy = policy;
    channel.updatedAt = now;
    this.#cacheGrants(channel);
    this.#saveOrUndo(() => {
      if (before.policy === undefined) delete channel.resourcePolicy;
      else channel.resourcePolicy = before.policy;
      channel.updatedAt = before.updatedAt;
      this.#cacheGrants(channel);
    });
  }

  #cacheGrants(channel: ChannelInfo): void {
    if (channel.resourcePolicy === undefined) {
      this.#grants.delete(channel.id);
      return;
    }
    const grants = parseChannelPolicy(channel.resourcePolicy, channel.arn);
    // A stored policy was valid when stored; if the file was edited into nonsense, nobody but the owner gets in.
    this.#grants.set(channel.id, typeof grants === 'string' ? [] : grants);
  }

  save(): void {
    writeFileDurably(join(this.dataDir, CATALOG_FILE), `${JSON.stringify(this.#file, null, 2)}\n`);
  }

  /** Saves a change, or takes it back when it cannot be saved: memory never runs ahead of the file. */
  #saveOrUndo(undo: () => void): void {
    try {
      this.save();
    } catch (error) {
      undo();
      throw new Error(`cannot write ${join(this.dataDir, CATALOG_FILE)}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Writes a whole file so that a crash leaves either the old or the new content. */
export function writeFileDurably(path: string, text: string, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'w', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(join(path, '..'));
}
