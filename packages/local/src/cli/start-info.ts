/**
 * What `auditlake serve` tells a program that started it: one JSON document (on stdout with
 * `--json`, in a file with `--ready-file`), and an env file (`--write-env-file`) in the dotenv form
 * that `node --env-file` and `set -a; . file` read. Files holding the key pair are 0600.
 */
import { writeFileDurably } from '../catalog.js';
import type { LocalLake } from '../local-lake.js';

export const DEFAULT_DATA_DIR = './.auditlake';

export interface StartInfo {
  version: string;
  pid: number;
  endpoint: string;
  channelArn: string;
  eventDataStoreId: string;
  /** The CloudWatch Logs log group of `--log-group`; `env` then sends there instead of the channel. */
  logGroupName?: string;
  eventDataStoreArn: string;
  region: string;
  accountId: string;
  dataDir: string;
  strictAuth: boolean;
  faults: string;
  externalId?: string;
  envFile?: string;
  /** The lake's own key pair (accepted in strict mode). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The environment an application needs to send here. */
  env: Record<string, string>;
}

export function startInfo(lake: LocalLake, details: { strictAuth: boolean; faults: string; version: string; externalId: string | undefined; envFile: string | undefined }): StartInfo {
  // An application takes exactly one destination from its environment.
  const destination: Record<string, string> =
    lake.logGroupName === undefined
      ? { AUDITLAKE_CHANNEL_ARN: lake.channelArn, ...(details.externalId === undefined ? {} : { AUDITLAKE_EXTERNAL_ID: details.externalId }) }
      : { AUDITLAKE_LOG_GROUP: lake.logGroupName };
  const env: Record<string, string> = {
    AUDITLAKE_ENDPOINT: lake.endpoint,
    ...destination,
    AWS_ACCESS_KEY_ID: lake.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lake.credentials.secretAccessKey,
    AWS_REGION: lake.region,
    AWS_DEFAULT_REGION: lake.region,
  };
  return {
    version: details.version,
    pid: process.pid,
    endpoint: lake.endpoint,
    channelArn: lake.channelArn,
    eventDataStoreId: lake.eventDataStoreId,
    eventDataStoreArn: lake.eventDataStoreArn,
    ...(lake.logGroupName === undefined ? {} : { logGroupName: lake.logGroupName }),
    region: lake.region,
    accountId: lake.accountId,
    dataDir: lake.dataDir,
    strictAuth: details.strictAuth,
    faults: details.faults,
    ...(details.externalId === undefined ? {} : { externalId: details.externalId }),
    ...(details.envFile === undefined ? {} : { envFile: details.envFile }),
    credentials: { accessKeyId: lake.credentials.accessKeyId, secretAccessKey: lake.credentials.secretAccessKey },
    env,
  };
}

export function writeEnvFile(path: string, info: StartInfo): void {
  const lines = [`# Written by auditlake serve (pid ${info.pid}) for the lake at ${info.endpoint}`, ...Object.entries(info.env).map(([key, value]) => `${key}=${value}`)];
  writeFileDurably(path, `${lines.join('\n')}\n`, 0o600);
}

export function writeReadyFile(path: string, info: StartInfo): void {
  writeFileDurably(path, `${JSON.stringify(info, null, 2)}\n`, 0o600);
}
