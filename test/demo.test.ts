import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The README's first command runs this script (after install and build): it must end by
// itself, with every example's events in the lake and every other record accounted for.
it('the demo runs the three examples against a local lake, into both destinations, and checks the result', () => {
  const demo = fileURLToPath(new URL('../scripts/demo.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 120_000 });
  expect(result.stderr).not.toContain('demo failed');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('Done: 18 events delivered to each destination and queryable, 3 dead-lettered with a reason and 3 plain log lines skipped in each run.');
  // The per-source table twice: the event data store, then the log group.
  expect(result.stdout.match(/accounts\.example \| 6\s+\| 2/g)).toHaveLength(2);
  expect(result.stdout).toMatch(/OK {6}log group \/demo\/audit: 18 events/);
  expect(result.stdout).toContain('verify: OK');
  // stdout is a pipe here: no terminal escape codes.
  expect(result.stdout).not.toContain('\x1b[');
});
