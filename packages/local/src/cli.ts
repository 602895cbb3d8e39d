/**
 * The `auditlake` command: serve, query, verify, replay. Usage errors exit with 2 (with the
 * command's own usage), failures (a failed verify, a query error, events dead-lettered again)
 * with 1. `bin/auditlake.js` calls `main`; tests can too, with their own `io`.
 */
import { readFileSync } from 'node:fs';
import { isAwsServiceError } from './aws-error.js';
import { processIo, UsageError, type CliIo } from './cli/cli-io.js';
import { QUERY_USAGE, queryCommand } from './cli/query-command.js';
import { REPLAY_USAGE, replayCommand } from './cli/replay-command.js';
import { SERVE_USAGE, serveCommand } from './cli/serve-command.js';
import { VERIFY_USAGE, verifyCommand } from './cli/verify-command.js';

export type { CliIo } from './cli/cli-io.js';

const COMMANDS: Record<string, { usage: string; run: (args: readonly string[], io: CliIo, version: string) => Promise<number> }> = {
  serve: { usage: SERVE_USAGE, run: serveCommand },
  query: { usage: QUERY_USAGE, run: queryCommand },
  verify: { usage: VERIFY_USAGE, run: verifyCommand },
  replay: { usage: REPLAY_USAGE, run: replayCommand },
};

const USAGE = `Usage: auditlake <command> [options]

Commands:
  serve    Run the local lake (PutAuditEvents, the CloudTrail query, channel and store APIs)
  query    Run one SQL SELECT over a data directory (no server needed)
  verify   Check every store's hash chain; exit code 1 on tampering
  replay   Resend the events of a dead-letter file (JSON Lines)

auditlake <command> --help (or auditlake help <command>) shows a command's options.
auditlake --version prints the version.
`;

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(USAGE);
    return 2;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    io.stdout.write(topic?.usage ?? USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io, version());
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`auditlake: ${error.message}\n\n${command?.usage ?? USAGE}`);
      return 2;
    }
    if (isAwsServiceError(error)) {
      io.stderr.write(`auditlake: ${error.code}: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`auditlake: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
