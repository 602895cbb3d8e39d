import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventDataChecksum } from '@auditlake/core/internal';
import { auditEvent, cli, eventData, exited, lake, putRaw, serve, tempDir } from './helpers.js';

describe('auditlake: usage errors', () => {
  it.each([
    [[], /Usage: auditlake <command>/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['serve', '--bogus'], /Unknown option '--bogus'/],
    [['serve', '--port', 'abc'], /--port must be an integer from 0 to 65535 \(actual: "abc"\)/],
    [['serve', '--faults', 'explode=1'], /--faults: unknown fault kind "explode"/],
    [['serve', '--retention-days', '5'], /--retention-days must be an integer from 7 to 3653/],
    [['query'], /query needs the SQL/],
    [['query', 'SELECT 1', '--output', 'xml'], /--output must be one of table, json, csv \(actual: "xml"\)/],
    [['query', 'SELECT 1', '--file', 'x.sql'], /either as an argument or with --file, not both/],
    [['query', '--file', '/nonexistent/q.sql'], /cannot read --file \/nonexistent\/q.sql: ENOENT/],
    [['query', 'SELECT 1', '--max-rows', 'many'], /--max-rows must be an integer from 0 to/],
    [['serve', '--query-timeout-ms', '0'], /--query-timeout-ms must be an integer from 1 to 86400000/],
    [['query', 'SELECT', '1'], /unexpected argument "1"/],
    [['replay'], /replay needs the dead-letter file/],
    [['replay', '/nonexistent/file.jsonl', '--channel-arn', 'x'], /no such file/],
  ])('%j → exit 2 with a clear message', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('auditlake serve', () => {
  it('prints endpoint, channel, store, data directory and env vars; applies --faults; stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const server = await serve(['--data-dir', dir, '--faults', 'throttle=1x1', '--retention-days', '30']);
    const output = server.output();
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.channelArn).toMatch(/^arn:aws:cloudtrail:us-east-1:123456789012:channel\//);
    expect(output).toContain(`data directory:    ${dir}`);
    expect(output).toContain('faults:            throttle=1x1');
    // Changed deliberately (issue 9): the export line no longer carries the lake's key pair, which replaced the shell's real AWS credentials (--env-file writes it instead).
    expect(output).toMatch(new RegExp(`^export AUDITLAKE_ENDPOINT=${server.endpoint} AUDITLAKE_CHANNEL_ARN=${server.channelArn}$`, 'm'));
    expect(output).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    const body = { auditEvents: [auditEvent('serve-1')] };
    expect((await putRaw(server.endpoint, { channelArn: server.channelArn, body })).status).toBe(429);
    expect((await putRaw(server.endpoint, { channelArn: server.channelArn, body })).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/auditlake: stopped/);
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });
});

describe('auditlake query and verify on a data directory', () => {
  it('prints a table or JSON; refuses non-SELECT with exit 1; explains a directory without a lake', async () => {
    const dir = tempDir();
    const l = await lake({ dataDir: dir });
    await putRaw(l.endpoint, {
      channelArn: l.channelArn,
      body: { auditEvents: [auditEvent('q1', { userIdentity: { type: 'T', principalId: 'alice' } }), auditEvent('q2', { userIdentity: { type: 'T', principalId: 'bob' } })] },
    });
    // The command reads the directory while the lake still runs.
    const table = await cli(['query', `SELECT eventData.userIdentity.principalId AS who, count(*) AS n FROM ${l.eventDataStoreId} GROUP BY 1 ORDER BY 1`, '--data-dir', dir]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(0, 5)).toEqual(['who   | n', '------+--', 'alice | 1', 'bob   | 1', '(2 rows)']);
    const json = await cli(['query', `SELECT eventData.userIdentity.principalId AS who FROM ${l.eventDataStoreId} ORDER BY 1`, '--data-dir', dir, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([{ who: 'alice' }, { who: 'bob' }]);
    const refused = await cli(['query', `DROP TABLE x`, '--data-dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/InvalidQueryStatementException/);
    const empty = await cli(['query', 'SELECT 1', '--data-dir', tempDir()]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/holds no local lake/);
    const verify = await cli(['verify', '--data-dir', dir, '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, stores: [{ eventDataStoreId: l.eventDataStoreId, events: 2 }] });
  });
});

describe('auditlake replay', () => {
  it('resends dead letters with their ids through core, reports delivered / dead-lettered, and writes the failures to a new file', async () => {
    const dir = tempDir();
    const l = await lake({ dataDir: dir });
    const file = join(tempDir(), 'dead.jsonl');
    const letter = (id: string, data: string, withChecksum = false) =>
      JSON.stringify({
        event: { id, eventData: data, ...(withChecksum ? { eventDataChecksum: eventDataChecksum(data) } : {}) },
        reason: { code: 'RetryDeadline', message: 'gave up' },
        time: '2026-11-25T00:00:00.000Z',
        attempts: 5,
      });
    const good = (n: number) => JSON.stringify(eventData({ UID: `replayed-${n}`, eventName: 'Replayed' }));
    writeFileSync(
      file,
      [letter('dl-1', good(1), true), letter('dl-2', good(2)), letter('dl-3', good(3)), letter('dl-bad', JSON.stringify(eventData({ UID: undefined }))), 'not json at all', ''].join('\n'),
    );
    const result = await cli(['replay', file, '--endpoint', l.endpoint, '--channel-arn', l.channelArn], { AWS_ACCESS_KEY_ID: 'AKIDREPLAY', AWS_SECRET_ACCESS_KEY: 'x' });
    expect(result.stdout).toContain(`replayed 4 dead letters from ${file}: delivered 3, already delivered before 0, dead-lettered 1`);
    expect(result.stdout).toContain('dead-lettered with FieldNotFound: 1');
    expect(result.stdout).toContain('line 5 skipped: not valid JSON');
    expect(result.code).toBe(1);
    const rows = await l.query(`SELECT eventData.UID AS uid FROM ${l.eventDataStoreId} WHERE eventData.eventName = 'Replayed' ORDER BY 1`);
    expect(rows).toEqual([{ uid: 'replayed-1' }, { uid: 'replayed-2' }, { uid: 'replayed-3' }]);
    const log = readFileSync(join(dir, 'stores', l.eventDataStoreId, 'events.jsonl'), 'utf8');
    for (const id of ['dl-1', 'dl-2', 'dl-3']) expect(log).toContain(`"id":"${id}"`);
    const failedFile = file.replace(/\.jsonl$/, '.replay-failed.jsonl');
    const failed = readFileSync(failedFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: { id: string }; reason: { code: string } });
    expect(failed.map((f) => [f.event.id, f.reason.code])).toEqual([['dl-bad', 'FieldNotFound']]);

    // With env vars only (as printed by `auditlake serve`), all good: exit 0.
    const clean = join(tempDir(), 'clean.jsonl');
    writeFileSync(clean, `${letter('dl-4', good(4))}\n`);
    const second = await cli(['replay', clean], { AUDITLAKE_ENDPOINT: l.endpoint, AUDITLAKE_CHANNEL_ARN: l.channelArn, AWS_ACCESS_KEY_ID: 'AKIDREPLAY', AWS_SECRET_ACCESS_KEY: 'x' });
    expect(second.stdout).toContain('delivered 1, already delivered before 0, dead-lettered 0');
    expect(second.code).toBe(0);
  });
});
