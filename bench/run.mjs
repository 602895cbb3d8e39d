// `pnpm bench`: every benchmark, each in its own process, one after the other.
// `pnpm bench:run <name>…` runs only those (e.g. `pnpm bench:run peers`); each script also
// runs alone with its own flags (`node bench/peers.mjs --runs 5`, see the top of each file).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = {
  core: { file: 'core.mjs', what: 'core pipeline beside its floor (~1 min)' },
  lake: { file: 'local-lake.mjs', what: 'local lake ingestion beside a null server (~1 min)' },
  destinations: { file: 'destinations.mjs', what: 'CloudTrail Lake and CloudWatch Logs destinations in one run (~2 min)' },
  'otel-emit': { file: 'otel-emit.mjs', what: "OTel emit loop: AuditLakeLogRecordProcessor beside the SDK's batch processor (~1 min)" },
  'front-ends': { file: 'front-ends.mjs', what: "front ends beside their logger's baseline (~2 min)" },
  peers: { file: 'peers.mjs', what: 'CPU per delivered record and peak RSS beside the peers (~4 min)' },
  faults: { file: 'faults.mjs', what: '20,000-record burst under 20 % throttling and 5 % resets (~4 min)' },
  'spool-recovery': { file: 'spool-recovery.mjs', what: 'a new process recovers and sends 100,000 spooled events into the local lake (~2 min)' },
  'exit-cost': { file: 'exit-cost.mjs', what: 'the exit listener with 10,000 undelivered events, with and without a spool (~30 s)' },
  outage: { file: 'outage.mjs', what: '200,000 records during a 60 s outage, with and without a spool (~12 min)' },
  fleet: { file: 'fleet.mjs', what: 'many sinks sharing a 100 requests/s quota, on virtual time, adaptation on and off (~5 min)' },
  'fleet-processes': { file: 'fleet-processes.mjs', what: '20 processes against auditlake serve --max-tps 100, adaptation on and off (~5 min)' },
  'lake-scale': { file: 'local-lake-scale.mjs', what: 'the local lake at 1,000,000 events: ingest, restart to first answer, warm queries, RSS (writes ~1.5 GB; ~15 min)' },
};

const names = process.argv.slice(2);
const unknown = names.filter((name) => !BENCHES[name]);
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; known:\n${Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(10)} ${b.what}`).join('\n')}`);
  process.exit(2);
}
let failed = 0;
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  const file = fileURLToPath(new URL(BENCHES[name].file, import.meta.url));
  if (!existsSync(file)) {
    console.error(`bench/${BENCHES[name].file} is missing`);
    failed++;
    continue;
  }
  console.error(`\n== bench ${name}: ${BENCHES[name].what}`);
  const run = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench/${BENCHES[name].file} failed (${run.status ?? run.signal})`);
    failed++;
  }
}
process.exitCode = failed === 0 ? 0 : 1;
