import { afterEach, describe, expect, it } from 'vitest';
import type { LocalLake } from '@auditlake/local';
import { closeAll, countIn, strictLake } from './helpers.js';
import { removeFixtureDirs, runFixture as runFixtureWith } from './support/run-fixture.js';

// Each front end, the real thing, in its own process: it logs COUNT audit records, plain
// lines and invalid audit records, finishes the way its host finishes (OTel shutdown, winston
// end, pino: just exit), and must exit by itself with every record accounted for in the lake
// and the dead-letter file. The lake checks SigV4 strictly; credentials come from the default
// AWS chain (environment variables), as in production.

const COUNT = 200;
afterEach(async () => {
  await closeAll();
  removeFixtureDirs();
});

const runFixture = (lake: LocalLake, fixture: string, env?: Record<string, string>) => runFixtureWith(lake, fixture, COUNT, env);

const frontEnds: [string, string, Record<string, string>][] = [
  ['OTel LoggerProvider + AuditLakeLogRecordProcessor', 'otel.mjs', { MODE: 'processor' }],
  ['OTel LoggerProvider + BatchLogRecordProcessor + AuditLakeLogRecordExporter', 'otel.mjs', { MODE: 'batch' }],
  ['OTel LoggerProvider + SimpleLogRecordProcessor + AuditLakeLogRecordExporter', 'otel.mjs', { MODE: 'simple' }],
  ['winston logger + AuditLakeTransport, logger.end()', 'winston.mjs', {}],
  ['pino.transport worker, process exits normally', 'pino.mjs', {}],
];

describe.each(frontEnds)('%s', (_name, fixture, env) => {
  it(`delivers ${COUNT} audit records exactly once, skips plain lines, dead-letters invalid records, and exits`, async () => {
    const lake = await strictLake();
    const run = await runFixture(lake, fixture, env);
    expect(run.stderr).not.toMatch(/Error|ConfigurationError/);
    expect(run.code).toBe(0);
    expect(await countIn(lake, run.source)).toEqual({ events: COUNT, distinct: COUNT });
    expect(run.letters).toHaveLength(Math.ceil(COUNT / 25));
    expect(new Set(run.letters.map((l) => l.reason.code))).toEqual(new Set(['FieldNotFound']));
    const [row] = await lake.query(
      `SELECT eventData.eventName AS name, eventData.eventSource AS source, eventData.eventTime AS at, eventData.userIdentity.type AS type,
              element_at(eventData.requestParameters, 'n') AS n, element_at(eventData.additionalEventData, 'message') AS message
       FROM ${lake.eventDataStoreId} WHERE eventData.userIdentity.principalId = 'principal-17' AND eventData.eventSource = '${run.source}'`,
    );
    expect(row).toMatchObject({ name: 'Operate', source: run.source, type: 'CustomUserIdentity', n: '17', message: 'operation 17' });
    expect(String(row!.at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('keeps the same counts under throttling, 5xx, resets and per-event failures', async () => {
    const lake = await strictLake({ faults: 'throttle=0.15,serverError=0.15,reset=0.1,eventThrottle=0.1,eventInternalFailure=0.05,seed=42' });
    const run = await runFixture(lake, fixture, env);
    expect(run.code).toBe(0);
    // One assertion, so that a failure shows where every record went.
    expect({ stored: await countIn(lake, run.source), letters: run.letters.map((l) => l.reason.code) }).toEqual({
      stored: { events: COUNT, distinct: COUNT },
      letters: Array(Math.ceil(COUNT / 25)).fill('FieldNotFound'),
    });
  });
});
