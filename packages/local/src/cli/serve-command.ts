/** `auditlake serve`: runs the local lake until SIGINT/SIGTERM. */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatFaultSpec, parseFaultSpec } from '../faults.js';
import { startLocalLake, type LocalLake } from '../local-lake.js';
import { DEFAULT_SERVE_PORT, LOCAL_LAKE_DEFAULTS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, type LocalLakeOptions } from '../options.js';
import { QUERY_DEFAULTS } from '../query-options.js';
import { cliDiagnostics, UsageError, type CliIo } from './cli-io.js';
import { flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { DEFAULT_DATA_DIR, startInfo, writeEnvFile, writeReadyFile, type StartInfo } from './start-info.js';

export const SERVE_FLAGS: FlagSpec[] = [
  { name: 'port', type: 'integer', min: 0, max: 65535, env: 'AUDITLAKE_PORT', value: '<n>', help: `port, 0 for any free one (default ${DEFAULT_SERVE_PORT})` },
  { name: 'host', type: 'string', env: 'AUDITLAKE_HOST', value: '<address>', help: `interface (default ${LOCAL_LAKE_DEFAULTS.host})` },
  { name: 'data-dir', type: 'string', env: 'AUDITLAKE_DATA_DIR', value: '<dir>', help: `data directory (default ${DEFAULT_DATA_DIR})` },
  { name: 'strict-auth', type: 'boolean', env: 'AUDITLAKE_STRICT_AUTH', help: 'verify SigV4 signatures (default: accept any)' },
  { name: 'faults', type: 'string', env: 'AUDITLAKE_FAULTS', value: '<spec>', help: 'inject faults, e.g. "throttle=0.2,latency=200@0.5"' },
  { name: 'region', type: 'string', env: 'AUDITLAKE_REGION', value: '<region>', help: `region of a new data directory (default ${LOCAL_LAKE_DEFAULTS.region})` },
  { name: 'account-id', type: 'string', env: 'AUDITLAKE_ACCOUNT_ID', value: '<id>', help: `account of a new data directory (default ${LOCAL_LAKE_DEFAULTS.accountId})` },
  { name: 'retention-days', type: 'integer', min: MIN_RETENTION_DAYS, max: MAX_RETENTION_DAYS, env: 'AUDITLAKE_RETENTION_DAYS', value: '<n>', help: `retention of the default event data store, ${MIN_RETENTION_DAYS}-${MAX_RETENTION_DAYS}` },
  { name: 'external-id', type: 'string', env: 'AUDITLAKE_EXTERNAL_ID', value: '<id>', help: 'require this external id on the default channel' },
  { name: 'log-group', type: 'string', env: 'AUDITLAKE_LOG_GROUP', value: '<name>', help: 'a CloudWatch Logs log group to have (created when missing); the env printed and written then sends there' },
  { name: 'quiet', type: 'boolean', env: 'AUDITLAKE_QUIET', help: 'no request log (one line per request on stderr otherwise)' },
  { name: 'allowed-hosts', type: 'string', env: 'AUDITLAKE_ALLOWED_HOSTS', value: '<a,b>', help: 'Host header values accepted besides loopback and --host ("*": any)' },
  { name: 'max-tps', type: 'integer', min: 1, env: 'AUDITLAKE_MAX_TPS', value: '<n>', help: 'requests per second per account and API, then ThrottlingException (default: no limit)' },
  { name: 'max-connections', type: 'integer', min: 1, env: 'AUDITLAKE_MAX_CONNECTIONS', value: '<n>', help: 'open connections at most (default: half the open-file limit, 16-1024)' },
  { name: 'idle-timeout-ms', type: 'integer', min: 1, env: 'AUDITLAKE_IDLE_TIMEOUT_MS', value: '<ms>', help: `idle connections are closed after this (default ${LOCAL_LAKE_DEFAULTS.idleTimeoutMs})` },
  { name: 'query-timeout-ms', type: 'integer', min: 1, max: 86_400_000, env: 'AUDITLAKE_QUERY_TIMEOUT_MS', value: '<ms>', help: `longest a query runs before TIMED_OUT (default ${QUERY_DEFAULTS.queryTimeoutMs})` },
  { name: 'query-memory-limit-mb', type: 'integer', min: 128, max: 1_048_576, env: 'AUDITLAKE_QUERY_MEMORY_LIMIT_MB', value: '<MiB>', help: `DuckDB's memory limit (default ${QUERY_DEFAULTS.queryMemoryLimitMb})` },
  { name: 'max-running-queries', type: 'integer', min: 1, max: 10, env: 'AUDITLAKE_MAX_RUNNING_QUERIES', value: '<n>', help: `queries that run at once; more wait their turn (default ${QUERY_DEFAULTS.maxRunningQueries})` },
  { name: 'max-query-results-bytes', type: 'integer', min: 1024, env: 'AUDITLAKE_MAX_QUERY_RESULTS_BYTES', value: '<bytes>', help: `bytes kept for GetQueryResults (default ${QUERY_DEFAULTS.maxQueryResultsBytes})` },
  { name: 'json', type: 'boolean', env: 'AUDITLAKE_JSON', help: 'print the start-up details as one JSON line (later messages go to stderr)' },
  { name: 'ready-file', type: 'string', env: 'AUDITLAKE_READY_FILE', value: '<path>', help: 'write the start-up details as JSON to this file once ready (removed at stop)' },
  // Not --env-file: Node 20 reads an --env-file anywhere on its command line, even after the script.
  { name: 'write-env-file', type: 'string', env: 'AUDITLAKE_WRITE_ENV_FILE', value: '<path>', help: "write AUDITLAKE_* and the lake's AWS key pair to this file (for node --env-file=<path>)" },
];

export const SERVE_USAGE = `Usage: auditlake serve [options]

Runs the local lake: PutAuditEvents, the CloudTrail query, channel and event data store APIs,
and the CloudWatch Logs API.
Every option can also be set by the environment variable shown in brackets (the flag wins).

${flagHelp(SERVE_FLAGS)}

Fault syntax: comma-separated kind=[value@]rate[xcount], plus seed=<n>. Kinds: throttle (value:
Retry-After seconds), serverError (value: 500 or 503), latency (value: ms), reset, resetAfterStore,
eventThrottle, eventInternalFailure, eventRejected. "throttle=1x2" throttles the first two
requests. They act on PutAuditEvents and PutLogEvents.
`;

export async function serveCommand(args: readonly string[], io: CliIo, version: string): Promise<number> {
  const { values } = parseFlags(args, SERVE_FLAGS, io.env, 0);
  if (values.help) {
    io.stdout.write(SERVE_USAGE);
    return 0;
  }
  let faults;
  try {
    faults = values.faults === undefined ? undefined : parseFaultSpec(values.faults as string);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  const diagnostics = cliDiagnostics(io);
  const strictAuth = values['strict-auth'] === true;
  const options: LocalLakeOptions = {
    port: (values.port as number | undefined) ?? DEFAULT_SERVE_PORT,
    dataDir: resolve((values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR),
    strictAuth,
    diagnostics,
    requestLog: (line) => io.stderr.write(`${line}\n`),
  };
  const optional: [string, keyof LocalLakeOptions][] = [
    ['host', 'host'],
    ['region', 'region'],
    ['account-id', 'accountId'],
    ['retention-days', 'retentionDays'],
    ['external-id', 'externalId'],
    ['log-group', 'logGroupName'],
    ['quiet', 'quiet'],
    ['max-tps', 'maxTps'],
    ['max-connections', 'maxConnections'],
    ['idle-timeout-ms', 'idleTimeoutMs'],
    ['query-timeout-ms', 'queryTimeoutMs'],
    ['query-memory-limit-mb', 'queryMemoryLimitMb'],
    ['max-running-queries', 'maxRunningQueries'],
    ['max-query-results-bytes', 'maxQueryResultsBytes'],
  ];
  for (const [flag, option] of optional) if (values[flag] !== undefined) Object.assign(options, { [option]: values[flag] });
  if (faults !== undefined) options.faults = faults;
  if (values['allowed-hosts'] !== undefined) options.allowedHosts = (values['allowed-hosts'] as string).split(',').map((host) => host.trim()).filter((host) => host !== '');
  const lake = await startLocalLake(options);
  const envFile = values['write-env-file'] === undefined ? undefined : resolve(values['write-env-file'] as string);
  const readyFile = values['ready-file'] === undefined ? undefined : resolve(values['ready-file'] as string);
  const info = startInfo(lake, { strictAuth, faults: formatFaultSpec(faults), version, externalId: options.externalId, envFile });
  try {
    if (envFile !== undefined) writeEnvFile(envFile, info);
    if (readyFile !== undefined) writeReadyFile(readyFile, info);
  } catch (error) {
    await lake.close();
    throw error;
  }
  // With --json, stdout carries exactly one JSON line; what follows is for a person, on stderr.
  const say = (text: string) => (values.json ? io.stderr : io.stdout).write(`${text}\n`);
  if (values.json) io.stdout.write(`${JSON.stringify(info)}\n`);
  else say(banner(lake, info));
  const signal = await new Promise<string>((resolveSignal) => io.onStopSignal(resolveSignal));
  say(`auditlake: ${signal}, stopping`);
  if (readyFile !== undefined) rmSync(readyFile, { force: true });
  await lake.close();
  say('auditlake: stopped');
  return 0;
}

function banner(lake: LocalLake, info: StartInfo): string {
  const lines = [
    `auditlake local lake ${info.version}`,
    `  endpoint:          ${lake.endpoint}`,
    `  channel ARN:       ${lake.channelArn}`,
    `  event data store:  ${lake.eventDataStoreId}`,
    ...(lake.logGroupName === undefined ? [] : [`  log group:         ${lake.logGroupName} (CloudWatch Logs, same endpoint)`]),
    `  data directory:    ${lake.dataDir}`,
    `  region / account:  ${lake.region} / ${lake.accountId}`,
    `  strict auth:       ${info.strictAuth ? 'on' : 'off (any signature accepted)'}`,
    `  faults:            ${info.faults}`,
  ];
  if (info.envFile !== undefined) lines.push(`  env file:          ${info.envFile}`);
  lines.push('');
  if (info.envFile !== undefined) {
    lines.push(`Run your app with the env file (endpoint, ${lake.logGroupName === undefined ? 'channel' : 'log group, region'} and the lake's key pair): node --env-file=${info.envFile} app.js`);
  } else {
    // Only the lake's own variables: exporting the lake's key pair would replace the shell's real AWS credentials.
    const destination =
      lake.logGroupName === undefined
        ? `AUDITLAKE_CHANNEL_ARN=${lake.channelArn}${info.externalId === undefined ? '' : ` AUDITLAKE_EXTERNAL_ID=${info.externalId}`}`
        : `AUDITLAKE_LOG_GROUP=${lake.logGroupName} AWS_REGION=${lake.region}`;
    lines.push(`export AUDITLAKE_ENDPOINT=${lake.endpoint} ${destination}`);
    lines.push(
      info.strictAuth
        ? `Strict auth: sign with the lake's key pair; --write-env-file <path> writes it (and the line above) to a file for node --env-file.`
        : `Any signature is accepted, so your usual AWS credentials work; --write-env-file <path> writes the lake's own key pair to a file.`,
    );
  }
  const query =
    lake.logGroupName === undefined
      ? `"SELECT eventData.eventName, count(*) FROM ${lake.eventDataStoreId} GROUP BY 1"`
      : `'SELECT message.eventName, count(*) FROM "${lake.logGroupName}" GROUP BY 1'`;
  lines.push('', `Query: auditlake query ${query} --data-dir ${lake.dataDir}`, 'Stop with Ctrl-C.');
  return lines.join('\n');
}
