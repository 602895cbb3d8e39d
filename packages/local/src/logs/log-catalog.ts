/**
 * The CloudWatch Logs log groups and streams of a data directory, persisted in
 * `log-groups/catalog.json` (replaced atomically, as the lake's own catalog is). Each group's
 * events live in `log-groups/<id>/` (an event log, see log-store.ts). The catalog changes only
 * on create, delete and retention calls; what changes with every PutLogEvents (first and last
 * event times) is derived from the events.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../catalog.js';

export const LOG_GROUPS_DIR = 'log-groups';
const CATALOG_FILE = 'catalog.json';

export type LogGroupClass = 'STANDARD' | 'INFREQUENT_ACCESS' | 'DELIVERY';

export interface LogStreamInfo {
  /** Tells a stream from an earlier one of the same name (deleted, then created again); stored with each event. */
  id: string;
  name: string;
  /** Epoch milliseconds. */
  creationTime: number;
}

export interface LogGroupInfo {
  /** The group's directory under `log-groups/`, and part of its hash chain's identity. */
  id: string;
  name: string;
  creationTime: number;
  /** Absent: events never expire. */
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: LogGroupClass;
  deletionProtectionEnabled: boolean;
  tags: Record<string, string>;
  streams: LogStreamInfo[];
}

interface LogCatalogFile {
  formatVersion: 1;
  logGroups: LogGroupInfo[];
}

export class LogCatalog {
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly #file: LogCatalogFile;
  readonly #readOnly: boolean;

  private constructor(dataDir: string, identity: { region: string; accountId: string }, file: LogCatalogFile, readOnly: boolean) {
    this.dataDir = dataDir;
    this.region = identity.region;
    this.accountId = identity.accountId;
    this.#file = file;
    this.#readOnly = readOnly;
  }

  /** The log groups of `dataDir` (none yet when the file is missing); `readOnly` never writes. */
  static open(dataDir: string, identity: { region: string; accountId: string }, options: { readOnly?: boolean } = {}): LogCatalog {
    const path = join(dataDir, LOG_GROUPS_DIR, CATALOG_FILE);
    if (!existsSync(path)) return new LogCatalog(dataDir, identity, { formatVersion: 1, logGroups: [] }, options.readOnly === true);
    let file: LogCatalogFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as LogCatalogFile;
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (file.formatVersion !== 1 || !Array.isArray(file.logGroups)) {
      throw new Error(`${path} is not a log group catalog this version understands (formatVersion ${String(file.formatVersion)})`);
    }
    return new LogCatalog(dataDir, identity, file, options.readOnly === true);
  }

  get logGroups(): readonly LogGroupInfo[] {
    return this.#file.logGroups;
  }

  find(name: string): LogGroupInfo | undefined {
    return this.#file.logGroups.find((group) => group.name === name);
  }

  groupDir(group: Pick<LogGroupInfo, 'id'>): string {
    return join(this.dataDir, LOG_GROUPS_DIR, group.id);
  }

  /** `arn:aws:logs:<region>:<account>:log-group:<name>` (the `logGroupArn` form, without `:*`). */
  groupArn(name: string): string {
    return `arn:aws:logs:${this.region}:${this.accountId}:log-group:${name}`;
  }

  streamArn(group: string, stream: string): string {
    return `${this.groupArn(group)}:log-stream:${stream}`;
  }

  /**
   * What a group's hash chain starts from and its columnar copy belongs to: the ARN and the id,
   * so that a group deleted and created again under the same name is another chain.
   */
  identity(group: Pick<LogGroupInfo, 'id' | 'name'>): string {
    return `${this.groupArn(group.name)}#${group.id}`;
  }

  addGroup(input: Omit<LogGroupInfo, 'id' | 'streams'>): LogGroupInfo {
    const group: LogGroupInfo = { ...input, id: randomUUID(), streams: [] };
    this.#file.logGroups.push(group);
    this.#saveOrUndo(() => this.#file.logGroups.pop());
    return group;
  }

  removeGroup(group: LogGroupInfo): void {
    const index = this.#file.logGroups.indexOf(group);
    if (index === -1) return;
    this.#file.logGroups.splice(index, 1);
    this.#saveOrUndo(() => this.#file.logGroups.splice(index, 0, group));
  }

  /** Changes a group's settings; a change to `undefined` removes that member. */
  updateGroup(group: LogGroupInfo, changes: Partial<Pick<LogGroupInfo, 'retentionInDays' | 'deletionProtectionEnabled'>>): void {
    const before = { retentionInDays: group.retentionInDays, deletionProtectionEnabled: group.deletionProtectionEnabled };
    const apply = (values: typeof changes) => {
      for (const [key, value] of Object.entries(values) as [keyof typeof changes, never][]) {
        if (value === undefined) delete group[key];
        else group[key] = value;
      }
    };
    apply(changes);
    this.#saveOrUndo(() => apply(before));
  }

  addStream(group: LogGroupInfo, name: string, now: number): LogStreamInfo {
    const stream: LogStreamInfo = { id: randomUUID().slice(0, 8), name, creationTime: now };
    group.streams.push(stream);
    this.#saveOrUndo(() => group.streams.pop());
    return stream;
  }

  removeStream(group: LogGroupInfo, stream: LogStreamInfo): void {
    const index = group.streams.indexOf(stream);
    if (index === -1) return;
    group.streams.splice(index, 1);
    this.#saveOrUndo(() => group.streams.splice(index, 0, stream));
  }

  #saveOrUndo(undo: () => void): void {
    const path = join(this.dataDir, LOG_GROUPS_DIR, CATALOG_FILE);
    try {
      if (this.#readOnly) throw new Error('the catalog was opened read-only');
      mkdirSync(join(this.dataDir, LOG_GROUPS_DIR), { recursive: true });
      writeFileDurably(path, `${JSON.stringify(this.#file, null, 2)}\n`, 0o600);
    } catch (error) {
      undo();
      throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
}
