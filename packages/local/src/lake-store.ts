/**
 * The writable side of a data directory: the catalog, one event log per event data store,
 * and the routing of a channel's events to the logs of its destinations; and beside them the
 * CloudWatch Logs log groups (logs/log-store.ts).
 */
import { rm } from 'node:fs/promises';
import type { Diagnostics } from '@auditlake/core';
import { ACTIVITY_AUDIT_LOG_SELECTORS, Catalog, isActive, type ChannelInfo, type EventDataStoreInfo } from './catalog.js';
import { EventLog } from './event-log.js';
import { LOCAL_LAKE_DEFAULTS, SERVICE_LIMITS } from './options.js';
import { externalIdPolicy } from './resource-policy.js';
import type { NewRecord } from './stored-event.js';
import { LogStore } from './logs/log-store.js';

/** What GetChannel reports as `IngestionStatus`; kept in memory only. */
export interface IngestionStatus {
  latestSuccessTime?: number;
  latestSuccessEventID?: string;
  latestErrorCode?: string;
  latestAttemptTime?: number;
  latestAttemptEventID?: string;
}

export interface LakeStoreOptions {
  region: string | undefined;
  accountId: string | undefined;
  defaults: { region: string; accountId: string };
  fsync: boolean;
  diagnostics: Diagnostics;
}

export class LakeStore {
  readonly catalog: Catalog;
  /** The CloudWatch Logs log groups, streams and events. */
  readonly logs: LogStore;
  readonly #logs = new Map<string, EventLog>();
  readonly #fsync: boolean;
  readonly #diagnostics: Diagnostics;
  readonly #ingestion = new Map<string, IngestionStatus>();

  private constructor(catalog: Catalog, logs: LogStore, options: LakeStoreOptions) {
    this.catalog = catalog;
    this.logs = logs;
    this.#fsync = options.fsync;
    this.#diagnostics = options.diagnostics;
  }

  static async open(dataDir: string, options: LakeStoreOptions): Promise<LakeStore> {
    const catalog = Catalog.open(dataDir, options);
    const logs = await LogStore.open(dataDir, { region: catalog.region, accountId: catalog.accountId, fsync: options.fsync, diagnostics: options.diagnostics });
    const store = new LakeStore(catalog, logs, options);
    try {
      for (const eds of store.catalog.eventDataStores) await store.#openLog(eds);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * The default store and channel: created on the first start, reused afterwards. A given
   * `retentionDays` updates the store; a given `externalId` (re)sets the channel's policy.
   */
  async ensureDefaults(
    options: { channelName: string; eventDataStoreName: string; retentionDays: number | undefined; defaultRetentionDays: number; externalId: string | undefined },
    now: number,
  ): Promise<{ channel: ChannelInfo; eventDataStore: EventDataStoreInfo }> {
    let eventDataStore = this.catalog.defaultEventDataStore;
    let channel = this.catalog.defaultChannel;
    // Deleted by the user (DeleteChannel, DeleteEventDataStore): a start brings a new pair.
    if (!eventDataStore || !channel || !isActive(eventDataStore)) {
      eventDataStore = await this.createEventDataStore(
        {
          name: uniqueName(options.eventDataStoreName, this.catalog.eventDataStores.map((s) => s.name)),
          retentionDays: options.retentionDays ?? options.defaultRetentionDays,
          billingMode: 'EXTENDABLE_RETENTION_PRICING',
          multiRegionEnabled: false,
          organizationEnabled: false,
          terminationProtectionEnabled: true,
          advancedEventSelectors: ACTIVITY_AUDIT_LOG_SELECTORS,
          tags: [],
        },
        now,
      );
      channel = this.catalog.addChannel(
        {
          name: uniqueName(options.channelName, this.catalog.channels.map((c) => c.name)),
          source: 'Custom',
          destinations: [{ Type: 'EVENT_DATA_STORE', Location: eventDataStore.arn }],
          tags: [],
        },
        now,
      );
      this.catalog.setDefaults(channel.id, eventDataStore.id);
    } else if (options.retentionDays !== undefined && options.retentionDays !== eventDataStore.retentionDays) {
      this.catalog.updateEventDataStore(eventDataStore, { retentionDays: options.retentionDays }, now);
    }
    if (options.externalId !== undefined) {
      const policy = externalIdPolicy(channel.arn, this.catalog.accountId, options.externalId);
      if (channel.resourcePolicy !== policy) this.catalog.setResourcePolicy(channel, policy, now);
    }
    return { channel, eventDataStore };
  }

  async createEventDataStore(input: Omit<EventDataStoreInfo, 'id' | 'arn' | 'createdAt' | 'updatedAt'>, now: number): Promise<EventDataStoreInfo> {
    const eds = this.catalog.addEventDataStore(input, now);
    try {
      await this.#openLog(eds);
    } catch (error) {
      // A store without its log would fail every later write to it: take the store back.
      this.catalog.removeEventDataStore(eds);
      await rm(this.catalog.storeDir(eds.id), { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    return eds;
  }

  async #openLog(eds: EventDataStoreInfo): Promise<void> {
    const log = await EventLog.open(this.catalog.storeDir(eds.id), eds.arn, { fsync: this.#fsync, diagnostics: this.#diagnostics });
    this.#logs.set(eds.id, log);
  }

  /**
   * Removes, files and all, the stores whose `PENDING_DELETION` wait is over (on the lake's
   * clock); runs at start and before each control-plane call.
   */
  async purgeExpired(now: number): Promise<void> {
    const waitMs = SERVICE_LIMITS.pendingDeletionDays * 86_400_000;
    for (const eds of [...this.catalog.eventDataStores]) {
      if (isActive(eds) || eds.deletedAt === undefined || now - eds.deletedAt < waitMs) continue;
      const log = this.#logs.get(eds.id);
      this.#logs.delete(eds.id);
      await log?.close();
      this.catalog.removeEventDataStore(eds);
      await rm(this.catalog.storeDir(eds.id), { recursive: true, force: true });
    }
  }

  /** Forgets a channel's in-memory ingestion status (the channel was deleted). */
  forgetChannel(channel: ChannelInfo): void {
    this.#ingestion.delete(channel.id);
  }

  /** The event data stores a channel feeds. */
  destinations(channel: ChannelInfo): EventDataStoreInfo[] {
    const stores: EventDataStoreInfo[] = [];
    for (const destination of channel.destinations) {
      if (destination.Type !== 'EVENT_DATA_STORE') continue;
      const eds = this.catalog.findEventDataStore(destination.Location);
      if (eds) stores.push(eds);
    }
    return stores;
  }

  /** Appends the records to every destination of the channel; resolves when all are durable. */
  async ingest(channel: ChannelInfo, records: NewRecord[]): Promise<void> {
    if (records.length === 0) return;
    const appends: Promise<unknown>[] = [];
    for (const eds of this.destinations(channel)) {
      const log = this.#logs.get(eds.id);
      if (log) appends.push(log.append(records));
    }
    await Promise.all(appends);
  }

  ingestionStatus(channel: ChannelInfo): IngestionStatus {
    let status = this.#ingestion.get(channel.id);
    if (!status) {
      status = {};
      this.#ingestion.set(channel.id, status);
    }
    return status;
  }

  async close(): Promise<void> {
    const logs = [...this.#logs.values()];
    this.#logs.clear();
    const results = await Promise.allSettled([...logs.map((log) => log.close()), this.logs.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Read-only access for `auditlake query`: the catalog and the log paths, no writer lock. */
export function openCatalogReadOnly(dataDir: string): Catalog {
  return Catalog.open(dataDir, { defaults: { region: LOCAL_LAKE_DEFAULTS.region, accountId: LOCAL_LAKE_DEFAULTS.accountId }, readOnly: true });
}

function uniqueName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  for (let n = 2; ; n++) if (!taken.includes(`${name}-${n}`)) return `${name}-${n}`;
}
