import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { acquireLock, loadOrCreateKeyPair } from './data-dir.js';
import { FaultInjector, type FaultSpec } from './faults.js';
import { isLoopbackHost, createHostCheck } from './host-check.js';
import { createLakeServer, type LakeServer } from './http-server.js';
import { LakeStore } from './lake-store.js';
import { LOCAL_LAKE_DEFAULTS, resolveLocalLakeOptions, type LocalLakeOptions } from './options.js';
import { startLakeQueries } from './lake-queries.js';
import { RequestRateLimiter } from './rate-limit.js';
import type { JsonValue } from './sql-values.js';
import type { SigV4Secret } from './sigv4.js';

/** A running local lake. */
export interface LocalLake {
  /** Base URL for `endpoint` / `AUDITLAKE_ENDPOINT` / `--endpoint-url`, e.g. `http://127.0.0.1:4599`. */
  readonly endpoint: string;
  /** The default channel, ready for PutAuditEvents. */
  readonly channelArn: string;
  /** The default event data store: `FROM <eventDataStoreId>` in SQL. */
  readonly eventDataStoreId: string;
  readonly eventDataStoreArn: string;
  /** The CloudWatch Logs log group of the `logGroupName` option, ready for PutLogEvents (`FROM "<name>"` in SQL); undefined without it. */
  readonly logGroupName: string | undefined;
  readonly region: string;
  readonly accountId: string;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** A key pair clients can sign with (the lake's own; accepted in strict mode too). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Runs one SELECT (CloudTrail Lake syntax) over the stores and returns rows as objects of
   * JSON-friendly values. Anything but one SELECT rejects with `InvalidQueryStatementException`.
   */
  query(sql: string): Promise<Record<string, JsonValue>[]>;
  /** Replaces the injected faults (counters start again); `undefined` or `''` turns them off. */
  setFaults(spec: FaultSpec | string | undefined): void;
  /** Stops the server, syncs and closes the store; removes the data directory if the lake created it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an embedded CloudTrail-Lake-compatible server: PutAuditEvents, the CloudTrail query
 * and channel APIs, the CloudWatch Logs API, a durable hash-chained store, and SQL. A default
 * channel and event data store exist from the first start and are reused on restart.
 */
export async function startLocalLake(options: LocalLakeOptions = {}): Promise<LocalLake> {
  const o = resolveLocalLakeOptions(options);
  const ownsDir = o.dataDir === undefined;
  const dataDir = ownsDir ? mkdtempSync(join(tmpdir(), 'auditlake-lake-')) : resolve(o.dataDir as string);
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    cleanups.push(() => {
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    });
    cleanups.push(acquireLock(dataDir));
    const store = await LakeStore.open(dataDir, {
      region: o.region,
      accountId: o.accountId,
      defaults: { region: LOCAL_LAKE_DEFAULTS.region, accountId: LOCAL_LAKE_DEFAULTS.accountId },
      fsync: o.fsync,
      diagnostics: o.diagnostics,
    });
    cleanups.push(() => store.close());
    await store.purgeExpired(o.now());
    const { channel, eventDataStore } = await store.ensureDefaults(
      {
        channelName: o.channelName,
        eventDataStoreName: o.eventDataStoreName,
        retentionDays: o.retentionDays,
        defaultRetentionDays: LOCAL_LAKE_DEFAULTS.retentionDays,
        externalId: o.externalId,
      },
      o.now(),
    );
    if (o.logGroupName !== undefined && store.logs.group(o.logGroupName) === undefined) {
      await store.logs.createGroup({ name: o.logGroupName, creationTime: o.now(), logGroupClass: 'STANDARD', deletionProtectionEnabled: false, tags: {} });
    }
    const { region, accountId } = store.catalog;
    const keyPair = loadOrCreateKeyPair(dataDir);
    const secrets = new Map<string, SigV4Secret>([[keyPair.accessKeyId, { secretAccessKey: keyPair.secretAccessKey, accountId }]]);
    for (const c of o.credentials) {
      secrets.set(c.accessKeyId, { secretAccessKey: c.secretAccessKey, accountId: c.accountId ?? accountId, ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }) });
    }

    const sql = startLakeQueries({ ...o, catalog: store.catalog, logs: store.logs.catalog });
    cleanups.push(() => sql.close());
    const queries = sql.registry;
    const faults = new FaultInjector(o.faults);

    const lakeServer: LakeServer = createLakeServer({
      store,
      queries,
      faults,
      now: o.now,
      region,
      ownerAccountId: accountId,
      strictAuth: o.strictAuth,
      maxClockSkewMs: o.maxClockSkewMs,
      secrets,
      diagnostics: o.diagnostics,
      hostCheck: createHostCheck(o.host, o.allowedHosts),
      rateLimiter: o.maxTps === undefined ? undefined : new RequestRateLimiter(o.maxTps, o.now),
      requestLog: o.requestLog,
      maxConnections: o.maxConnections,
      idleTimeoutMs: o.idleTimeoutMs,
    });
    await new Promise<void>((resolveListen, rejectListen) => {
      lakeServer.server.once('error', rejectListen);
      lakeServer.server.listen(o.port, o.host, () => {
        lakeServer.server.off('error', rejectListen);
        resolveListen();
      });
    });
    cleanups.push(() => lakeServer.close());
    const address = lakeServer.server.address() as AddressInfo;
    if (!isLoopbackHost(o.host) && !o.strictAuth) {
      o.diagnostics.warn(
        `auditlake: WARNING: the lake listens on ${o.host}, beyond this machine, WITHOUT authentication: anyone who can reach port ${address.port} can write events, change channels and stores, and run SQL. Use strictAuth (--strict-auth), or bind 127.0.0.1.`,
      );
    }

    let closing: Promise<void> | undefined;
    return {
      endpoint: `http://${endpointHost(o.host)}:${address.port}`,
      channelArn: channel.arn,
      eventDataStoreId: eventDataStore.id,
      eventDataStoreArn: eventDataStore.arn,
      logGroupName: o.logGroupName,
      region,
      accountId,
      dataDir,
      credentials: keyPair,
      query: (statement) => sql.query(statement),
      setFaults(spec) {
        faults.set(spec === '' ? undefined : spec);
      },
      close() {
        closing ??= cleanUp();
        return closing;
      },
    };
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
}

/** The host clients should dial: a wildcard address means this machine. */
function endpointHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
