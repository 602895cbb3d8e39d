// `pnpm bench`: every benchmark, each in its own process, one after the other.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches = ['core.mjs', 'local-lake.mjs', 'local-lake-scale.mjs', 'front-ends.mjs'];
let failed = 0;
for (const bench of benches) {
  const file = fileURLToPath(new URL(bench, import.meta.url));
  if (!existsSync(file)) {
    console.error(`bench/${bench} is missing`);
    failed++;
    continue;
  }
  const run = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench/${bench} failed (${run.status ?? run.signal})`);
    failed++;
  }
}
process.exitCode = failed === 0 ? 0 : 1;
