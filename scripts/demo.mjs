#!/usr/bin/env node
// The demo: a local lake, the three example services (OpenTelemetry, winston, pino) logging
// their audit trails into it twice, once through CloudTrail Lake's API (a channel) and once
// through CloudWatch Logs' (a log group), then CloudTrail Lake SQL over both. Ends by itself,
// and exits non-zero if anything is missing, so CI can run it too.
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
const GROUP = '/demo/audit';

heading('Starting a local lake that speaks CloudTrail Lake and CloudWatch Logs (auditlake serve --log-group)');
const lake = await serveLake(['--log-group', GROUP]);
console.log(`endpoint  ${lake.env.AUDITLAKE_ENDPOINT}\nchannel   ${lake.channelArn}\nstore     ${lake.store}\nlog group ${lake.logGroupName}`);
const deadLetters = join(tmpdir(), `auditlake-demo-dead-letters-${process.pid}.jsonl`);
// Each run picks one destination: a channel (CloudTrail Lake customers) or a log group (everyone else).
const destinations = {
  'CloudTrail Lake': { AUDITLAKE_CHANNEL_ARN: lake.channelArn, AUDITLAKE_LOG_GROUP: '' },
  'CloudWatch Logs': { AUDITLAKE_CHANNEL_ARN: '', AUDITLAKE_LOG_GROUP: GROUP },
};

let failed = false;
try {
  for (const [destination, variables] of Object.entries(destinations)) {
    const env = { ...process.env, ...lake.env, ...variables, AUDITLAKE_DEAD_LETTER: deadLetters };
    for (const example of Object.keys(sources)) {
      heading(`examples/${example} → ${destination}: ${RECORDS_PER_EXAMPLE} log records (${sources[example]})`);
      const run = spawnSync(process.execPath, [join(root, 'examples', example, 'index.mjs')], { env, stdio: 'inherit', timeout: 60_000 });
      if (run.status !== 0) throw new Error(`examples/${example} (${destination}) exited with ${run.status ?? run.signal}`);
    }
  }
  await lake.stop();

  heading("The query from CloudTrail Lake's announcement: principals that acted after a date");
  const canonical = `SELECT eventData.userIdentity.principalId FROM ${lake.store} WHERE eventData.eventTime > '2022-09-24 00:00:00'`;
  console.log(canonical);
  lake.cli('query', canonical);

  heading('Events per source, CloudTrail Lake (the event data store)');
  const perSource = `SELECT eventData.eventSource AS source, count(*) AS events, count_if(eventData.errorCode IS NOT NULL) AS failures, count(DISTINCT eventData.userIdentity.principalId) AS principals FROM ${lake.store} GROUP BY eventData.eventSource ORDER BY source`;
  lake.cli('query', perSource);

  heading('The same in CloudWatch Logs (the log group is a table; each message is the same event)');
  const perSourceLogs = `SELECT message.eventSource AS source, count(*) AS events, count_if(message.errorCode IS NOT NULL) AS failures, count(DISTINCT message.userIdentity.principalId) AS principals FROM "${GROUP}" GROUP BY message.eventSource ORDER BY source`;
  console.log(`In Logs Insights: stats count(*) as events, count(errorCode) as failures, count_distinct(userIdentity.principalId) as principals by eventSource`);
  lake.cli('query', perSourceLogs);

  heading('Tamper check (auditlake verify)');
  if (lake.cli('verify') !== 0) throw new Error('auditlake verify failed');

  heading('Dead letters');
  const letters = readFileSync(deadLetters, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  for (const letter of letters) console.log(`${letter.reason.code}: ${letter.reason.message} (eventName ${JSON.parse(letter.event.eventData).eventName})`);

  // Per source and destination, every audit record with an actor delivered, the one without
  // dead-lettered, the plain log line skipped; and no password left in clear.
  const expected = DELIVERED_PER_EXAMPLE;
  for (const [destination, sql, table, field] of [['CloudTrail Lake', perSource, lake.store, 'eventData'], ['CloudWatch Logs', perSourceLogs, `"${GROUP}"`, 'message']]) {
    const counts = Object.fromEntries(lake.query(sql).map((row) => [row.source, Number(row.events)]));
    for (const source of Object.values(sources)) if (counts[source] !== expected) throw new Error(`${source}: ${counts[source]} events in ${destination}, expected ${expected}`);
    const leaked = lake.query(`SELECT count(*) AS n FROM ${table} WHERE element_at(${field}.requestParameters, 'password') = 'hunter2'`)[0].n;
    if (Number(leaked) !== 0) throw new Error(`a redacted password reached ${destination}`);
  }
  if (letters.length !== 6 || letters.some((l) => l.reason.code !== 'FieldNotFound')) throw new Error(`expected 6 FieldNotFound dead letters, got ${letters.length}`);
  heading(`Done: ${expected * 3} events delivered to each destination and queryable, 3 dead-lettered with a reason and 3 plain log lines skipped in each run.`);
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await lake.stop().catch(() => {});
  lake.remove();
  rmSync(deadLetters, { force: true });
}
process.exitCode = failed ? 1 : 0;
