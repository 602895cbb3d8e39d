#!/usr/bin/env node
// The demo: a local lake, the three example services (OpenTelemetry, winston, pino) logging
// their audit trails into it, then CloudTrail Lake SQL over the result. Ends by itself, and
// exits non-zero if anything is missing, so CI can run it too.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveLake } from '@auditlake/example-shared';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = { otel: 'billing.example', winston: 'accounts.example', pino: 'exports.example' };
// Each example logs 8 records: 6 audit events with an actor (2 of them failed operations), one
// without an actor (dead-lettered with FieldNotFound), and one plain log line (skipped).
const RECORDS_PER_EXAMPLE = 8;
const DELIVERED_PER_EXAMPLE = 6;
// Bold headings only for a person at a terminal: no escape codes in logs, CI or pipes, nor
// when NO_COLOR is set (https://no-color.org).
const bold = process.stdout.isTTY === true && !process.env.NO_COLOR ? (text) => `\x1b[1m${text}\x1b[0m` : (text) => text;
const heading = (text) => console.log(`\n${bold(text)}`);

heading('Starting a local CloudTrail-Lake-compatible server (auditlake serve)');
const lake = await serveLake();
console.log(`endpoint ${lake.env.AUDITLAKE_ENDPOINT}\nchannel  ${lake.env.AUDITLAKE_CHANNEL_ARN}\nstore    ${lake.store}`);
const deadLetters = join(tmpdir(), `auditlake-demo-dead-letters-${process.pid}.jsonl`);
const env = { ...process.env, ...lake.env, AUDITLAKE_DEAD_LETTER: deadLetters };

let failed = false;
try {
  for (const example of Object.keys(sources)) {
    heading(`examples/${example}: ${RECORDS_PER_EXAMPLE} log records (${sources[example]})`);
    const run = spawnSync(process.execPath, [join(root, 'examples', example, 'index.mjs')], { env, stdio: 'inherit', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`examples/${example} exited with ${run.status ?? run.signal}`);
  }
  await lake.stop();

  heading("The query from CloudTrail Lake's announcement: principals that acted after a date");
  const canonical = `SELECT eventData.userIdentity.principalId FROM ${lake.store} WHERE eventData.eventTime > '2022-09-24 00:00:00'`;
  console.log(canonical);
  lake.cli('query', canonical);

  heading('Events per source');
  const perSource = `SELECT eventData.eventSource AS source, count(*) AS events, count_if(eventData.errorCode IS NOT NULL) AS failures, count(DISTINCT eventData.userIdentity.principalId) AS principals FROM ${lake.store} GROUP BY eventData.eventSource ORDER BY source`;
  lake.cli('query', perSource);

  heading('Tamper check (auditlake verify)');
  if (lake.cli('verify') !== 0) throw new Error('auditlake verify failed');

  heading('Dead letters');
  const letters = readFileSync(deadLetters, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  for (const letter of letters) console.log(`${letter.reason.code}: ${letter.reason.message} (eventName ${JSON.parse(letter.event.eventData).eventName})`);

  // Per source, every audit record with an actor delivered, the one without dead-lettered, the
  // plain log line skipped; and no password left in clear.
  const expected = DELIVERED_PER_EXAMPLE;
  const counts = Object.fromEntries(lake.query(perSource).map((row) => [row.source, Number(row.events)]));
  const leaked = lake.query(`SELECT count(*) AS n FROM ${lake.store} WHERE element_at(eventData.requestParameters, 'password') = 'hunter2'`)[0].n;
  for (const source of Object.values(sources)) if (counts[source] !== expected) throw new Error(`${source}: ${counts[source]} events in the lake, expected ${expected}`);
  if (letters.length !== 3 || letters.some((l) => l.reason.code !== 'FieldNotFound')) throw new Error(`expected 3 FieldNotFound dead letters, got ${letters.length}`);
  if (Number(leaked) !== 0) throw new Error('a redacted password reached the lake');
  heading(`Done: ${expected * 3} events delivered and queryable, 3 dead-lettered with a reason, 3 plain log lines skipped.`);
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await lake.stop().catch(() => {});
  lake.remove();
  rmSync(deadLetters, { force: true });
}
process.exitCode = failed ? 1 : 0;
