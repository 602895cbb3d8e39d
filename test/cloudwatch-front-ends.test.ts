import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalLake } from '@auditlake/local';
import { closeAll, strictLake } from './helpers.js';
import { removeFixtureDirs, runFixture } from './support/run-fixture.js';

// Every front end, in its own process, into the local lake's CloudWatch Logs API (strict
// SigV4) with plain options: AUDITLAKE_LOG_GROUP, AWS_REGION and the endpoint from the
// environment, createLogGroup given as an option (for pino, across its worker boundary). The
// group does not exist beforehand; every record is accounted for in the group and the
// dead-letter file.

const COUNT = 120;
afterEach(async () => {
  await closeAll();
  removeFixtureDirs();
});

const frontEnds: [string, string, Record<string, string>][] = [
  ['OTel LoggerProvider + AuditLakeLogRecordProcessor', 'otel.mjs', { MODE: 'processor' }],
  ['OTel LoggerProvider + BatchLogRecordProcessor + AuditLakeLogRecordExporter', 'otel.mjs', { MODE: 'batch' }],
  ['winston logger + AuditLakeTransport, logger.end()', 'winston.mjs', {}],
  ['pino.transport worker, process exits normally', 'pino.mjs', {}],
];

function logsEnv(lake: LocalLake, group: string): Record<string, string> {
  // An empty AUDITLAKE_CHANNEL_ARN is unset: the destination is the log group.
  return { AUDITLAKE_CHANNEL_ARN: '', AUDITLAKE_LOG_GROUP: group, AWS_REGION: lake.region, SINK_OPTIONS: JSON.stringify({ createLogGroup: true }) };
}

async function stored(lake: LocalLake, group: string, source: string): Promise<{ events: number; distinct: number }> {
  const rows = await lake.query(`SELECT count(*) AS n, count(DISTINCT message.userIdentity.principalId) AS d FROM "${group}" WHERE message.eventSource = '${source}'`);
  return { events: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
}

describe.each(frontEnds)('%s → CloudWatch Logs', (_name, fixture, env) => {
  it(`delivers ${COUNT} audit records exactly once into a log group it creates, dead-letters invalid records, and exits`, async () => {
    const lake = await strictLake();
    const group = `/front-ends/${randomUUID().slice(0, 8)}`;
    const run = await runFixture(lake, fixture, COUNT, { ...env, ...logsEnv(lake, group) });
    expect(run.stderr).not.toMatch(/Error|ConfigurationError/);
    expect(run.code).toBe(0);
    expect(await stored(lake, group, run.source)).toEqual({ events: COUNT, distinct: COUNT });
    expect(run.letters.map((l) => l.reason.code)).toEqual(Array(Math.ceil(COUNT / 25)).fill('FieldNotFound'));
    const [row] = await lake.query(
      `SELECT logStreamName AS stream, message.eventName AS name, message.userIdentity.type AS type, element_at(message.requestParameters, 'n') AS n, element_at(message.additionalEventData, 'message') AS text
       FROM "${group}" WHERE message.userIdentity.principalId = 'principal-17' AND message.eventSource = '${run.source}'`,
    );
    // The default stream: <hostname>-<pid>-<8 hex digits>, one per process.
    expect(row).toMatchObject({ stream: expect.stringMatching(/-\d+-[0-9a-f]{8}$/) as unknown, name: 'Operate', type: 'CustomUserIdentity', n: '17', text: 'operation 17' });
  });

  it('keeps the same counts under throttling, 5xx and resets', async () => {
    const lake = await strictLake({ faults: 'throttle=0.15,serverError=0.15,reset=0.1,seed=42' });
    const group = `/front-ends/${randomUUID().slice(0, 8)}`;
    const run = await runFixture(lake, fixture, COUNT, { ...env, ...logsEnv(lake, group) });
    expect(run.code).toBe(0);
    expect({ stored: await stored(lake, group, run.source), letters: run.letters.map((l) => l.reason.code) }).toEqual({
      stored: { events: COUNT, distinct: COUNT },
      letters: Array(Math.ceil(COUNT / 25)).fill('FieldNotFound'),
    });
  });
});
