/** `auditlake verify`: recomputes every store's hash chain and checkpoints; exit code 1 on any problem. */
import { resolve } from 'node:path';
import { formatVerifyReport, verifyDataDir } from '../verify.js';
import type { CliIo } from './cli-io.js';
import { flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { DEFAULT_DATA_DIR } from './start-info.js';

export const VERIFY_FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', env: 'AUDITLAKE_DATA_DIR', value: '<dir>', help: `data directory (default ${DEFAULT_DATA_DIR})` },
  { name: 'json', type: 'boolean', help: 'the report as JSON' },
];

export const VERIFY_USAGE = `Usage: auditlake verify [options]

Checks the hash chain and checkpoints of every event data store and CloudWatch Logs log group;
prints OK or the first problem of each. Exit code 1 on any problem.

${flagHelp(VERIFY_FLAGS)}
`;

export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, VERIFY_FLAGS, io.env, 0);
  if (values.help) {
    io.stdout.write(VERIFY_USAGE);
    return 0;
  }
  const report = await verifyDataDir(resolve((values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR));
  if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else for (const line of formatVerifyReport(report)) io.stdout.write(`${line}\n`);
  return report.ok ? 0 : 1;
}
