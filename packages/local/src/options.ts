import { ConfigurationError, defaultDiagnostics, type Diagnostics } from '@auditlake/core';
import { EXTERNAL_ID_PATTERN, LOG_GROUP_NAME_PATTERN } from '@auditlake/core/internal';
import { defaultMaxConnections } from './connection-limits.js';
import { parseFaultSpec, type FaultSpec } from './faults.js';
import { resolveQueryOptions, type LocalLakeQueryOptions, type ResolvedQueryOptions } from './query-options.js';

/** A key pair the lake accepts (strict mode verifies SigV4 signatures against these). */
export interface LocalLakeCredential {
  /** Required. */
  accessKeyId: string;
  /** Required. */
  secretAccessKey: string;
  /** When set, requests signed with this key must carry exactly this `x-amz-security-token`. @default any token, or none */
  sessionToken?: string;
  /**
   * The AWS account the key belongs to. A caller from another account may only use a channel
   * whose resource policy names that account (else `ChannelInsufficientPermission`).
   * @default the lake's `accountId`
   */
  accountId?: string;
}

/**
 * Options of `startLocalLake`. Every field is optional; a bad value throws a
 * `ConfigurationError` naming the option, the rule and the value.
 */
export interface LocalLakeOptions extends LocalLakeQueryOptions {
  /** TCP port to listen on; 0 picks a free one (read it back from `endpoint`). @default 0 */
  port?: number;
  /** Interface to listen on. `0.0.0.0` exposes the lake (and its SQL) to the network. @default '127.0.0.1' */
  host?: string;
  /**
   * Where channels, event data stores and events are kept. It is created when missing and
   * reused on restart (the default channel and store keep their ids).
   * @default a new temporary directory, removed by `close()`
   */
  dataDir?: string;
  /** The region in ARNs, in `awsRegion` and in SigV4 scopes. An existing data directory keeps its own unless this is given. @default 'us-east-1' */
  region?: string;
  /** The account that owns the channels and stores (12 digits). An existing data directory keeps its own unless this is given. @default '123456789012' */
  accountId?: string;
  /**
   * Verify SigV4 signatures against `credentials` (and the lake's own key pair). Off, any
   * request is accepted, signed or not, which is what casual local use wants.
   * @default false
   */
  strictAuth?: boolean;
  /** Extra key pairs to accept, besides the lake's own (generated once per data directory, see `LocalLake.credentials`). @default [] */
  credentials?: readonly LocalLakeCredential[];
  /** Retention of the default event data store, in days (7–3653). Given on restart, it updates the store. @default 366 */
  retentionDays?: number;
  /**
   * Puts a resource policy with this external id on the default channel: PutAuditEvents must
   * then carry `externalId` (else `ChannelInsufficientPermission`). @default none
   */
  externalId?: string;
  /** Injected failures, as an object or the `--faults` text syntax (see README). Change them later with `setFaults`. @default none */
  faults?: FaultSpec | string;
  /** The clock, in epoch milliseconds: ingestion times, retention and SigV4 skew all read it. @default Date.now */
  now?: () => number;
  /** Largest accepted difference between a request's SigV4 date and the clock (strict mode). @default 900000 (15 minutes, as AWS) */
  maxClockSkewMs?: number;
  /** fsync (fdatasync) every commit before acknowledging it. Turning it off loses durability across power loss, not across a process crash. @default true */
  fsync?: boolean;
  /** Largest result a query may produce; a larger one fails (add a LIMIT). @default 100000 */
  maxQueryResultRows?: number;
  /** Name of the default channel. @default 'auditlake-local' */
  channelName?: string;
  /** Name of the default event data store. @default 'auditlake-local' */
  eventDataStoreName?: string;
  /**
   * A CloudWatch Logs log group to have from the start (created when missing, kept on restart),
   * for applications that send with `logGroupName`; see `LocalLake.logGroupName`. Any other group
   * is created through the API (`CreateLogGroup`, or a sink's `createLogGroup: true`).
   * @default none
   */
  logGroupName?: string;
  /** Where the lake reports about itself (recoveries, internal errors). @default `util.debuglog('auditlake')`, warnings as process warnings */
  diagnostics?: Diagnostics;
  /**
   * Turns the request log off. Embedding the lake in a test suite usually wants this.
   * @default false
   */
  quiet?: boolean;
  /**
   * Where the request log goes, one line per request: `<time> <operation> <status> [<error>]
   * [events=<n> [failed=<n>]] <ms>ms`. A stream, or a function given each line (without newline).
   * @default process.stderr
   */
  requestLog?: NodeJS.WritableStream | ((line: string) => void);
  /**
   * Host header values (names or addresses, without port) accepted besides the loopback names,
   * `host` and this machine's name (and its addresses when `host` is a wildcard); the check
   * protects against DNS rebinding. `['*']` turns it off.
   * @default []
   */
  allowedHosts?: readonly string[];
  /**
   * Requests per second each account may make, per API (PutAuditEvents, the control plane and
   * CloudWatch Logs count apart); beyond it the lake answers `ThrottlingException` as the service does. A token
   * bucket refilled at `maxTps` per second with a burst of `maxTps`, on the `now` clock.
   * @default undefined (no limit)
   */
  maxTps?: number;
  /**
   * Open connections at most. Beyond it a new connection closes the one idle the longest, and is
   * refused (503) only when every connection has a request in flight.
   * @default half the process's open-file limit, from 16 to 1024 (1024 where it cannot be read)
   */
  maxConnections?: number;
  /** A connection without a request in flight for this long is closed. @default 30000 */
  idleTimeoutMs?: number;
}

/**
 * The lake's defaults, in one place: `resolveLocalLakeOptions`, the catalog, the control plane,
 * the command and the README all take them from here.
 */
export const LOCAL_LAKE_DEFAULTS = Object.freeze({
  /** `startLocalLake` picks a free port. */
  port: 0,
  /** `auditlake serve`'s port. */
  servePort: 4599,
  /** Loopback only. */
  host: '127.0.0.1',
  /** `auditlake`'s data directory, relative to the working directory. */
  serveDataDir: './.auditlake',
  /** Region and account of a new data directory. */
  region: 'us-east-1',
  accountId: '123456789012',
  strictAuth: false,
  /** Retention of the default store, and of `CreateEventDataStore` without `RetentionPeriod` (the service's default). */
  retentionDays: 366,
  /** As AWS: 15 minutes. */
  maxClockSkewMs: 15 * 60_000,
  fsync: true,
  maxQueryResultRows: 100_000,
  channelName: 'auditlake-local',
  eventDataStoreName: 'auditlake-local',
  quiet: false,
  idleTimeoutMs: 30_000,
});

/** The service's limits and defaults that the control plane enforces (CloudTrail quotas page and the 2013-11-01 model). */
export const SERVICE_LIMITS = Object.freeze({
  /** Integration channels per account, not adjustable. */
  maxChannels: 25,
  /** Event data stores per account and region. */
  maxEventDataStores: 10,
  minRetentionDays: 7,
  /** With `EXTENDABLE_RETENTION_PRICING`. */
  maxRetentionDays: 3653,
  /** With `FIXED_RETENTION_PRICING`; also its default. */
  fixedPricingMaxRetentionDays: 2557,
  /** A deleted store stays `PENDING_DELETION` this long, then is gone. */
  pendingDeletionDays: 7,
  /** Tags per resource. */
  maxTags: 50,
});

/** The port `auditlake serve` listens on unless told otherwise. */
export const DEFAULT_SERVE_PORT = LOCAL_LAKE_DEFAULTS.servePort;

/** Retention bounds of `RetentionPeriod` in the CloudTrail model. */
export const MIN_RETENTION_DAYS = SERVICE_LIMITS.minRetentionDays;
export const MAX_RETENTION_DAYS = SERVICE_LIMITS.maxRetentionDays;

export interface ResolvedLocalLakeOptions extends ResolvedQueryOptions {
  port: number;
  host: string;
  dataDir: string | undefined;
  /** Undefined when not given: an existing data directory's own value wins, else the default. */
  region: string | undefined;
  accountId: string | undefined;
  strictAuth: boolean;
  credentials: LocalLakeCredential[];
  retentionDays: number | undefined;
  externalId: string | undefined;
  faults: FaultSpec | undefined;
  now: () => number;
  maxClockSkewMs: number;
  fsync: boolean;
  maxQueryResultRows: number;
  channelName: string;
  eventDataStoreName: string;
  logGroupName: string | undefined;
  diagnostics: Diagnostics;
  /** Undefined when quiet. */
  requestLog: ((line: string) => void) | undefined;
  allowedHosts: string[];
  maxTps: number | undefined;
  maxConnections: number;
  idleTimeoutMs: number;
}

export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
export const ACCOUNT_PATTERN = /^\d{12}$/;
const NAME_PATTERN = /^[a-zA-Z0-9._-]{3,128}$/;

export function resolveLocalLakeOptions(options: LocalLakeOptions = {}): ResolvedLocalLakeOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'an object', options);
  const port = options.port ?? LOCAL_LAKE_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError('port', 'an integer from 0 to 65535', port);
  const host = options.host ?? LOCAL_LAKE_DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) throw new ConfigurationError('host', 'a host name or IP address', host);
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir.length === 0)) {
    throw new ConfigurationError('dataDir', 'a directory path', options.dataDir);
  }
  if (options.region !== undefined && (typeof options.region !== 'string' || !REGION_PATTERN.test(options.region))) {
    throw new ConfigurationError('region', 'an AWS region such as us-east-1', options.region);
  }
  if (options.accountId !== undefined && (typeof options.accountId !== 'string' || !ACCOUNT_PATTERN.test(options.accountId))) {
    throw new ConfigurationError('accountId', 'a 12-digit AWS account id', options.accountId);
  }
  const retentionDays = options.retentionDays;
  if (retentionDays !== undefined && (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS || retentionDays > MAX_RETENTION_DAYS)) {
    throw new ConfigurationError('retentionDays', `an integer from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`, retentionDays);
  }
  if (options.externalId !== undefined && (typeof options.externalId !== 'string' || !EXTERNAL_ID_PATTERN.test(options.externalId))) {
    throw new ConfigurationError('externalId', '2-1224 characters of [A-Za-z0-9_+=,.@:/-]', options.externalId);
  }
  const givenCredentials: unknown = options.credentials ?? [];
  if (!Array.isArray(givenCredentials)) throw new ConfigurationError('credentials', 'an array of { accessKeyId, secretAccessKey, sessionToken?, accountId? }', redactCredential(givenCredentials));
  const credentials = givenCredentials as readonly LocalLakeCredential[];
  for (const [index, credential] of credentials.entries()) {
    const c = credential as Partial<LocalLakeCredential> | null;
    if (c === null || typeof c !== 'object' || typeof c.accessKeyId !== 'string' || c.accessKeyId.length === 0 || typeof c.secretAccessKey !== 'string' || c.secretAccessKey.length === 0) {
      throw new ConfigurationError(`credentials[${index}]`, '{ accessKeyId, secretAccessKey } with non-empty strings', redactCredential(c));
    }
    if (c.accountId !== undefined && !ACCOUNT_PATTERN.test(c.accountId)) throw new ConfigurationError(`credentials[${index}].accountId`, 'a 12-digit AWS account id', c.accountId);
  }
  let faults: FaultSpec | undefined;
  try {
    faults = typeof options.faults === 'string' ? parseFaultSpec(options.faults) : options.faults;
    if (faults !== undefined) parseFaultSpec(faults);
  } catch (error) {
    throw new ConfigurationError('faults', (error as Error).message, options.faults);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new ConfigurationError('now', 'a function returning epoch milliseconds', now);
  const maxClockSkewMs = options.maxClockSkewMs ?? LOCAL_LAKE_DEFAULTS.maxClockSkewMs;
  if (!Number.isInteger(maxClockSkewMs) || maxClockSkewMs < 0) throw new ConfigurationError('maxClockSkewMs', 'an integer >= 0', maxClockSkewMs);
  const maxQueryResultRows = options.maxQueryResultRows ?? LOCAL_LAKE_DEFAULTS.maxQueryResultRows;
  if (!Number.isInteger(maxQueryResultRows) || maxQueryResultRows < 1) throw new ConfigurationError('maxQueryResultRows', 'an integer >= 1', maxQueryResultRows);
  const strictAuth = options.strictAuth ?? LOCAL_LAKE_DEFAULTS.strictAuth;
  if (typeof strictAuth !== 'boolean') throw new ConfigurationError('strictAuth', 'true or false', strictAuth);
  const fsync = options.fsync ?? LOCAL_LAKE_DEFAULTS.fsync;
  if (typeof fsync !== 'boolean') throw new ConfigurationError('fsync', 'true or false', fsync);
  const channelName = options.channelName ?? LOCAL_LAKE_DEFAULTS.channelName;
  if (typeof channelName !== 'string' || !NAME_PATTERN.test(channelName)) throw new ConfigurationError('channelName', '3-128 characters of [a-zA-Z0-9._-]', channelName);
  const eventDataStoreName = options.eventDataStoreName ?? LOCAL_LAKE_DEFAULTS.eventDataStoreName;
  if (typeof eventDataStoreName !== 'string' || !NAME_PATTERN.test(eventDataStoreName)) {
    throw new ConfigurationError('eventDataStoreName', '3-128 characters of [a-zA-Z0-9._-]', eventDataStoreName);
  }
  const logGroupName = options.logGroupName;
  if (logGroupName !== undefined && (typeof logGroupName !== 'string' || !LOG_GROUP_NAME_PATTERN.test(logGroupName) || logGroupName.startsWith('aws/'))) {
    throw new ConfigurationError('logGroupName', 'a log group name: 1-512 characters of [A-Za-z0-9._/#-], not starting with aws/', logGroupName);
  }
  const diagnostics = options.diagnostics ?? defaultDiagnostics;
  if (typeof diagnostics !== 'object' || diagnostics === null || !['debug', 'warn', 'error'].every((k) => typeof (diagnostics as unknown as Record<string, unknown>)[k] === 'function')) {
    throw new ConfigurationError('diagnostics', 'an object with debug, warn and error functions', diagnostics);
  }
  const quiet = options.quiet ?? LOCAL_LAKE_DEFAULTS.quiet;
  if (typeof quiet !== 'boolean') throw new ConfigurationError('quiet', 'true or false', quiet);
  const requestLog = quiet ? undefined : requestLogSink(options.requestLog ?? process.stderr);
  const allowedHosts: unknown = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts) || !allowedHosts.every((h) => typeof h === 'string' && h.length > 0)) {
    throw new ConfigurationError('allowedHosts', 'an array of host names or addresses (or ["*"])', allowedHosts);
  }
  const maxTps = options.maxTps;
  if (maxTps !== undefined && (typeof maxTps !== 'number' || !Number.isFinite(maxTps) || maxTps < 1)) {
    throw new ConfigurationError('maxTps', 'a number >= 1 (requests per second per account), or undefined for no limit', maxTps);
  }
  const maxConnections = options.maxConnections ?? defaultMaxConnections();
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new ConfigurationError('maxConnections', 'an integer >= 1', maxConnections);
  const idleTimeoutMs = options.idleTimeoutMs ?? LOCAL_LAKE_DEFAULTS.idleTimeoutMs;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1) throw new ConfigurationError('idleTimeoutMs', 'an integer >= 1', idleTimeoutMs);
  return {
    ...resolveQueryOptions(options),
    port,
    host,
    dataDir: options.dataDir,
    region: options.region,
    accountId: options.accountId,
    strictAuth,
    credentials: credentials.map((c): LocalLakeCredential => ({ ...c })),
    retentionDays,
    externalId: options.externalId,
    faults,
    now,
    maxClockSkewMs,
    fsync,
    maxQueryResultRows,
    channelName,
    eventDataStoreName,
    logGroupName,
    diagnostics,
    requestLog,
    allowedHosts: [...(allowedHosts as string[])],
    maxTps,
    maxConnections,
    idleTimeoutMs,
  };
}

function requestLogSink(target: unknown): (line: string) => void {
  if (typeof target === 'function') return target as (line: string) => void;
  if (target !== null && typeof target === 'object' && typeof (target as NodeJS.WritableStream).write === 'function') {
    const stream = target as NodeJS.WritableStream;
    return (line) => void stream.write(`${line}\n`);
  }
  throw new ConfigurationError('requestLog', 'a writable stream or a function (line) => void', target);
}

/** A credential as it may appear in an error message: the key id, never the secret or the token. */
function redactCredential(credential: unknown): unknown {
  if (credential === null || typeof credential !== 'object') return credential;
  const shown: Record<string, unknown> = { ...(credential as Record<string, unknown>) };
  for (const secret of ['secretAccessKey', 'sessionToken']) if (shown[secret] !== undefined) shown[secret] = '(redacted)';
  return shown;
}
