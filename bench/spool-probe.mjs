// Does this build of @auditlake/core have a disk spool? Benches that run "with a spool" ask
// first, in a child process, and print the row as unavailable instead of failing.
// The test: a sink given `spoolDir` accepts one event and flushes it; a spool must have put
// it on disk by then, so its directory exists. A core that ignores the option creates nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** { available: boolean, why: string } for `spoolDir` (plus any other options, as data). */
export function probeSpool(options = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'auditlake-spool-probe-'));
  const spoolDir = join(scratch, 'spool');
  try {
    const run = spawnSync(process.execPath, [self, JSON.stringify({ ...options, spoolDir })], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) return { available: false, why: `createAuditSink with spoolDir failed: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n')[0]}` };
    return run.stdout.trim() === 'written'
      ? { available: true, why: 'the sink wrote under spoolDir' }
      : { available: false, why: 'this @auditlake/core ignores spoolDir (a flushed event left nothing under it)' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === self) {
  const { createAuditSink } = await import('@auditlake/core');
  const options = JSON.parse(process.argv[2]);
  const sink = createAuditSink({
    channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/probe',
    deadLetter: () => {},
    send: async (input) => ({ successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] }),
    ...options,
  });
  sink.add({ attributes: { audit: { eventName: 'Probe', eventSource: 'probe', userIdentity: { principalId: 'probe' } } } });
  await sink.flush();
  process.stdout.write(existsSync(options.spoolDir) ? 'written' : 'nothing');
  await sink.shutdown();
}
