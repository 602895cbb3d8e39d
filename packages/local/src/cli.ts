/**
 * The `auditlake` command: serve, query, verify, replay. Usage errors exit with 2, failures
 * (a failed verify, a query error, events dead-lettered again) with 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { debuglog, parseArgs, type ParseArgsConfig } from 'node:util';
import type { Diagnostics } from '@auditlake/core';
import { isAwsServiceError } from './aws-error.js';
import { formatFaultSpec, parseFaultSpec } from './faults.js';
import { formatTable } from './format-table.js';
import type { JsonValue } from './sql-values.js';
import { openCatalogReadOnly } from './lake-store.js';
import { COLUMNAR_DIR, eventDataStoreSources } from './table-sources.js';
import { QUERY_DEFAULTS } from './query-options.js';
import { startLocalLake, type LocalLake } from './local-lake.js';
import { DEFAULT_SERVE_PORT, LOCAL_LAKE_DEFAULTS } from './options.js';
import { QueryEngine } from './query-engine.js';
import { replayDeadLetters } from './replay.js';
import { formatVerifyReport, verifyDataDir } from './verify.js';

const DEFAULT_DATA_DIR = './.auditlake';

const USAGE = `Usage: auditlake <command> [options]

Commands:
  serve    Run the local lake (PutAuditEvents, the CloudTrail query and channel APIs)
             --port <n>             port, 0 for any free one (default ${DEFAULT_SERVE_PORT})
             --host <address>       interface (default ${LOCAL_LAKE_DEFAULTS.host})
             --data-dir <dir>       data directory (default ${DEFAULT_DATA_DIR})
             --strict-auth          verify SigV4 signatures (default: accept any)
             --faults <spec>        inject faults, e.g. "throttle=0.2,latency=200@0.5,throttle=1x2"
             --region <region>      region of a new data directory (default ${LOCAL_LAKE_DEFAULTS.region})
             --account-id <id>      account of a new data directory (default ${LOCAL_LAKE_DEFAULTS.accountId})
             --retention-days <n>   retention of the default event data store, 7-3653
             --external-id <id>     require this external id on the default channel
  query    Run one SQL SELECT over a data directory (no server needed)
             auditlake query "<sql>" [--data-dir <dir>] [--json]
  verify   Check every store's hash chain; exit code 1 on tampering
             auditlake verify [--data-dir <dir>] [--json]
  replay   Resend the events of a dead-letter file (JSON Lines)
             auditlake replay <dead-letter.jsonl> [--endpoint <url>] [--channel-arn <arn>]
               [--external-id <id>] [--region <region>] [--dead-letter <file>] [--data-dir <dir>]
             endpoint and channel default to AUDITLAKE_ENDPOINT and AUDITLAKE_CHANNEL_ARN

Fault syntax: comma-separated kind=[value@]rate[xcount], plus seed=<n>. Kinds: throttle (value:
Retry-After seconds), serverError (value: 500 or 503), latency (value: ms), reset, resetAfterStore,
eventThrottle, eventInternalFailure. "throttle=1x2" throttles the first two requests.
`;

class UsageError extends Error {}

const cliDiagnostics: Diagnostics = {
  debug: debuglog('auditlake'),
  warn: (message) => console.error(message),
  error: (message) => console.error(message),
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'query':
        return await query(rest);
      case 'verify':
        return await verify(rest);
      case 'replay':
        return await replay(rest);
      case '--version':
      case '-v':
        console.log(version());
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      console.error(`auditlake: ${(error as Error).message}\n`);
      process.stderr.write(USAGE);
      return 2;
    }
    if (isAwsServiceError(error)) {
      console.error(`auditlake: ${error.code}: ${error.message}`);
      return 1;
    }
    console.error(`auditlake: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, positionals: number) {
  const parsed = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals] as string}"`);
  return parsed;
}

async function serve(args: readonly string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'strict-auth': { type: 'boolean' },
      faults: { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      'retention-days': { type: 'string' },
      'external-id': { type: 'string' },
    },
    0,
  );
  if (values.help) return help();
  const port = values.port === undefined ? DEFAULT_SERVE_PORT : integerFlag('--port', values.port, 0, 65535);
  const retentionDays = values['retention-days'] === undefined ? undefined : integerFlag('--retention-days', values['retention-days'], 7, 3653);
  let faults;
  try {
    faults = values.faults === undefined ? undefined : parseFaultSpec(values.faults);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  const lake = await startLocalLake({
    port,
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
    strictAuth: values['strict-auth'] ?? false,
    diagnostics: cliDiagnostics,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(faults === undefined ? {} : { faults }),
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values['account-id'] === undefined ? {} : { accountId: values['account-id'] }),
    ...(retentionDays === undefined ? {} : { retentionDays }),
    ...(values['external-id'] === undefined ? {} : { externalId: values['external-id'] }),
  });
  printBanner(lake, values['strict-auth'] ?? false, formatFaultSpec(faults));
  await new Promise<void>((resolveSignal) => {
    const stop = (signal: NodeJS.Signals) => {
      console.log(`auditlake: ${signal}, stopping`);
      process.once(signal, () => process.exit(130));
      resolveSignal();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await lake.close();
  console.log('auditlake: stopped');
  return 0;
}

function printBanner(lake: LocalLake, strictAuth: boolean, faults: string): void {
  const { accessKeyId, secretAccessKey } = lake.credentials;
  console.log(`auditlake local lake ${version()}
  endpoint:          ${lake.endpoint}
  channel ARN:       ${lake.channelArn}
  event data store:  ${lake.eventDataStoreId}
  data directory:    ${lake.dataDir}
  region / account:  ${lake.region} / ${lake.accountId}
  strict auth:       ${strictAuth ? 'on' : 'off (any signature accepted)'}
  faults:            ${faults}

export AUDITLAKE_ENDPOINT=${lake.endpoint} AUDITLAKE_CHANNEL_ARN=${lake.channelArn} AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} AWS_REGION=${lake.region} AWS_DEFAULT_REGION=${lake.region}

Query: auditlake query "SELECT eventData.eventName, count(*) FROM ${lake.eventDataStoreId} GROUP BY 1" --data-dir ${lake.dataDir}
Stop with Ctrl-C.`);
}

async function query(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, 1);
  if (values.help) return help();
  const sql = positionals[0];
  if (sql === undefined || sql.trim() === '') throw new UsageError('query needs the SQL as one (quoted) argument');
  const dataDir = resolve(values['data-dir'] ?? DEFAULT_DATA_DIR);
  const catalog = openCatalogReadOnly(dataDir);
  const engine = await QueryEngine.create({ sources: () => eventDataStoreSources(catalog), now: Date.now, diagnostics: cliDiagnostics, columnarRoot: join(dataDir, COLUMNAR_DIR), writable: false, memoryLimitMb: QUERY_DEFAULTS.queryMemoryLimitMb, maxRunningQueries: 1 });
  try {
    const result = await engine.run(sql, { maxRows: Number.MAX_SAFE_INTEGER - 1, format: 'json' });
    if (values.json) {
      const objects = result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])));
      console.log(JSON.stringify(objects, null, 2));
    } else {
      console.log(formatTable(result.columns, result.rows as JsonValue[][]));
    }
    return 0;
  } finally {
    await engine.close();
  }
}

async function verify(args: readonly string[]): Promise<number> {
  const { values } = parse(args, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, 0);
  if (values.help) return help();
  const report = await verifyDataDir(resolve(values['data-dir'] ?? DEFAULT_DATA_DIR));
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else for (const line of formatVerifyReport(report)) console.log(line);
  return report.ok ? 0 : 1;
}

async function replay(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      endpoint: { type: 'string' },
      'channel-arn': { type: 'string' },
      'external-id': { type: 'string' },
      region: { type: 'string' },
      'dead-letter': { type: 'string' },
      'data-dir': { type: 'string' },
    },
    1,
  );
  if (values.help) return help();
  const file = positionals[0];
  if (file === undefined) throw new UsageError('replay needs the dead-letter file');
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  if (values['channel-arn'] === undefined && !process.env.AUDITLAKE_CHANNEL_ARN) throw new UsageError('replay needs --channel-arn or AUDITLAKE_CHANNEL_ARN');
  const deadLetter = values['dead-letter'] ?? `${file.replace(/\.jsonl$/, '')}.replay-failed.jsonl`;
  if (resolve(deadLetter) === resolve(file)) throw new UsageError('--dead-letter must not be the file being replayed');
  const credentials = localCredentials(values['data-dir']);
  const report = await replayDeadLetters(file, {
    deadLetter,
    diagnostics: cliDiagnostics,
    ...(values['channel-arn'] === undefined ? {} : { channelArn: values['channel-arn'] }),
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values['external-id'] === undefined ? {} : { externalId: values['external-id'] }),
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  console.log(`replayed ${report.read} dead letters from ${file}: delivered ${report.delivered}, dead-lettered ${report.deadLettered}`);
  for (const [code, count] of Object.entries(report.deadLetteredByReason)) console.log(`  dead-lettered with ${code}: ${count}`);
  if (report.deadLettered > 0) console.log(`  dead letters written to ${resolve(report.deadLetterFile)}`);
  for (const bad of report.malformed) console.log(`  line ${bad.line} skipped: ${bad.message}`);
  return report.deadLettered === 0 && report.malformed.length === 0 ? 0 : 1;
}

/**
 * Without AWS credentials in the environment, a replay to the local lake signs with the
 * lake's own key pair (from the data directory), so the default provider chain does not
 * spend the retry deadline looking for credentials that do not exist.
 */
function localCredentials(dataDir: string | undefined): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return undefined;
  const path = join(resolve(dataDir ?? DEFAULT_DATA_DIR), 'credentials.json');
  if (!existsSync(path)) return undefined;
  const stored = JSON.parse(readFileSync(path, 'utf8')) as { accessKeyId?: unknown; secretAccessKey?: unknown };
  return typeof stored.accessKeyId === 'string' && typeof stored.secretAccessKey === 'string'
    ? { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey }
    : undefined;
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (actual: "${text}")`);
  return value;
}

function help(): number {
  process.stdout.write(USAGE);
  return 0;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

process.exitCode = await main(process.argv.slice(2));
