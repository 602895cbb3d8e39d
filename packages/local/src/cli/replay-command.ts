/** `auditlake replay`: resends the events of a dead-letter file through @auditlake/core, keeping their ids. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { replayDeadLetters } from '../replay.js';
import { cliDiagnostics, UsageError, type CliIo } from './cli-io.js';
import { flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { DEFAULT_DATA_DIR } from './start-info.js';

export const REPLAY_FLAGS: FlagSpec[] = [
  { name: 'endpoint', type: 'string', env: 'AUDITLAKE_ENDPOINT', value: '<url>', help: 'where to send (default: the service of the channel\'s region)' },
  { name: 'channel-arn', type: 'string', env: 'AUDITLAKE_CHANNEL_ARN', value: '<arn>', help: 'the channel to send to' },
  { name: 'external-id', type: 'string', env: 'AUDITLAKE_EXTERNAL_ID', value: '<id>', help: "the channel policy's external id" },
  { name: 'log-group', type: 'string', env: 'AUDITLAKE_LOG_GROUP', value: '<name>', help: 'a CloudWatch Logs group to send to instead of a channel' },
  { name: 'log-stream', type: 'string', env: 'AUDITLAKE_LOG_STREAM', value: '<name>', help: 'its stream (default: one for this process)' },
  { name: 'region', type: 'string', value: '<region>', help: "signing region (default: the channel ARN's; for a log group AWS_REGION)" },
  { name: 'dead-letter', type: 'string', value: '<file>', help: 'where events that fail again go (default <file>.replay-failed.jsonl)' },
  { name: 'data-dir', type: 'string', env: 'AUDITLAKE_DATA_DIR', value: '<dir>', help: `without AWS credentials, sign with this lake's key pair (default ${DEFAULT_DATA_DIR})` },
];

export const REPLAY_USAGE = `Usage: auditlake replay <dead-letter.jsonl> [options]

Resends the events of a dead-letter file (JSON Lines), keeping each event's id, and records the
ids accepted in <file>.replay-progress so that a second run sends nothing already accepted.
Exit code 1 if anything was dead-lettered again or skipped.

${flagHelp(REPLAY_FLAGS)}
`;

export async function replayCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, REPLAY_FLAGS, io.env, 1);
  if (values.help) {
    io.stdout.write(REPLAY_USAGE);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined) throw new UsageError('replay needs the dead-letter file');
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const channelArn = values['channel-arn'] as string | undefined;
  const logGroupName = values['log-group'] as string | undefined;
  if ((channelArn === undefined) === (logGroupName === undefined)) throw new UsageError('replay needs one of --channel-arn (AUDITLAKE_CHANNEL_ARN) or --log-group (AUDITLAKE_LOG_GROUP)');
  const deadLetter = (values['dead-letter'] as string | undefined) ?? `${file.replace(/\.jsonl$/, '')}.replay-failed.jsonl`;
  if (resolve(deadLetter) === resolve(file)) throw new UsageError('--dead-letter must not be the file being replayed');
  const credentials = localCredentials(values['data-dir'] as string | undefined, io.env);
  const optional = (key: string, option: string) => (values[key] === undefined ? {} : { [option]: values[key] as string });
  const report = await replayDeadLetters(file, {
    deadLetter,
    diagnostics: cliDiagnostics(io),
    ...(channelArn === undefined ? { logGroupName } : { channelArn }),
    ...optional('log-stream', 'logStreamName'),
    ...optional('endpoint', 'endpoint'),
    ...optional('external-id', 'externalId'),
    ...optional('region', 'region'),
    ...(credentials === undefined ? {} : { credentials }),
  });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  out(`replayed ${report.read} dead letters from ${file}: delivered ${report.delivered}, already delivered before ${report.alreadyDelivered}, dead-lettered ${report.deadLettered}`);
  for (const [code, count] of Object.entries(report.deadLetteredByReason)) out(`  dead-lettered with ${code}: ${count}`);
  if (report.deadLettered > 0) out(`  dead letters written to ${resolve(report.deadLetterFile)}`);
  for (const bad of report.malformed) out(`  line ${bad.line} skipped: ${bad.message}`);
  return report.deadLettered === 0 && report.malformed.length === 0 ? 0 : 1;
}

/**
 * Without AWS credentials in the environment, a replay to the local lake signs with the
 * lake's own key pair (from the data directory), so the default provider chain does not
 * spend the retry deadline looking for credentials that do not exist.
 */
function localCredentials(dataDir: string | undefined, env: CliIo['env']): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return undefined;
  const path = join(resolve(dataDir ?? DEFAULT_DATA_DIR), 'credentials.json');
  if (!existsSync(path)) return undefined;
  const stored = JSON.parse(readFileSync(path, 'utf8')) as { accessKeyId?: unknown; secretAccessKey?: unknown };
  return typeof stored.accessKeyId === 'string' && typeof stored.secretAccessKey === 'string'
    ? { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey }
    : undefined;
}
