/**
 * `auditlake-replay <dead-letter.jsonl>`: resends the events of a dead-letter file, with their
 * original ids and a progress file, so that a second run sends nothing already accepted. The
 * destination comes from flags or the usual `AUDITLAKE_*` variables; credentials from the AWS
 * SDK's default chain. Exit codes: 0 all delivered, 1 some dead-lettered again or lines skipped,
 * 2 usage or configuration errors.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isConfigurationError } from './errors.js';
import { replayDeadLetters, type ReplayOptions } from './replay.js';

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

const USAGE = `usage: auditlake-replay <dead-letter.jsonl> [options]

Resends the events of a dead-letter file with their original ids. Ids the destination accepts are
recorded in a progress file, so running it again sends nothing already accepted.

  --channel-arn <arn>      the CloudTrail Lake channel (or AUDITLAKE_CHANNEL_ARN)
  --external-id <id>       the channel's external id (or AUDITLAKE_EXTERNAL_ID)
  --log-group <name>       a CloudWatch Logs group instead of a channel (or AUDITLAKE_LOG_GROUP)
  --log-stream <name>      its stream (or AUDITLAKE_LOG_STREAM; default: one for this process)
  --endpoint <url>         the service endpoint (or AUDITLAKE_ENDPOINT)
  --region <region>        the signing region
  --dead-letter <file>     where events that fail again go (default <file>.replay-failed.jsonl)
  --progress-file <file>   where accepted ids are recorded (default <file>.replay-progress)
  -h, --help               this text`;

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'channel-arn': { type: 'string' },
        'external-id': { type: 'string' },
        'log-group': { type: 'string' },
        'log-stream': { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        'dead-letter': { type: 'string' },
        'progress-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`auditlake-replay: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    io.err(`auditlake-replay: give exactly one dead-letter file\n${USAGE}`);
    return 2;
  }
  if (!existsSync(file)) {
    io.err(`auditlake-replay: no such file: ${file}`);
    return 2;
  }
  const options: ReplayOptions = {
    env: io.env,
    diagnostics: { debug() {}, warn: (message) => io.err(message), error: (message) => io.err(message) },
    ...(values['channel-arn'] === undefined ? {} : { channelArn: values['channel-arn'] }),
    ...(values['external-id'] === undefined ? {} : { externalId: values['external-id'] }),
    ...(values['log-group'] === undefined ? {} : { logGroupName: values['log-group'] }),
    ...(values['log-stream'] === undefined ? {} : { logStreamName: values['log-stream'] }),
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values['dead-letter'] === undefined ? {} : { deadLetter: values['dead-letter'] }),
    ...(values['progress-file'] === undefined ? {} : { progressFile: values['progress-file'] }),
  };
  let report;
  try {
    report = await replayDeadLetters(file, options);
  } catch (error) {
    if (!isConfigurationError(error)) throw error;
    io.err(`auditlake-replay: ${error.message}`);
    return 2;
  }
  io.out(`replayed ${report.read} dead letter(s) from ${file}: delivered ${report.delivered}, already delivered before ${report.alreadyDelivered}, dead-lettered again ${report.deadLettered}`);
  for (const [code, count] of Object.entries(report.deadLetteredByReason)) io.out(`  dead-lettered with ${code}: ${count}`);
  if (report.deadLettered > 0) io.out(`  written to ${report.deadLetterFile}`);
  for (const bad of report.malformed) io.out(`  line ${bad.line} skipped: ${bad.message}`);
  io.out(`  progress recorded in ${report.progressFile}`);
  return report.deadLettered === 0 && report.malformed.length === 0 ? 0 : 1;
}
