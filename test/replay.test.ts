import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordEncoder } from '@auditlake/core/internal';
import { closeAll, KEY, record, runId, strictLake } from './helpers.js';

// Replaying a dead-letter file twice, with core's own command, against the real lake: each event
// is stored once. A production host needs only @auditlake/core for this.

const bin = fileURLToPath(new URL('../packages/core/bin/auditlake-replay.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function replay(file: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('auditlake-replay against the local lake', () => {
  it('stores each replayed event once, however often the file is replayed', async () => {
    const lake = await strictLake();
    const source = runId();
    const encode = createRecordEncoder({ recipientAccountId: KEY.accountId });
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-replay-it-'));
    dirs.push(dir);
    const file = join(dir, 'dead.jsonl');
    const letters = Array.from({ length: 120 }, (_, n) => ({ event: { id: `${source}-${n}`, eventData: encode(record(source, n))!.json }, reason: { code: 'RetryDeadline', message: 'm' }, time: new Date().toISOString(), attempts: 5 }));
    writeFileSync(file, letters.map((letter) => `${JSON.stringify(letter)}\n`).join(''));
    const env = { AUDITLAKE_CHANNEL_ARN: lake.channelArn, AUDITLAKE_ENDPOINT: lake.endpoint, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey };

    const first = await replay(file, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('replayed 120 dead letter(s)');
    expect(first.stdout).toContain('delivered 120');
    const second = await replay(file, env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('delivered 0, already delivered before 120');

    const rows = await lake.query(`SELECT count(*) AS n, count(DISTINCT eventData.UID) AS uids FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${source}'`);
    expect(rows[0]).toEqual({ n: 120, uids: 120 });
  });

  it('replays into a CloudWatch Logs group just as well (--log-group), once however often', async () => {
    const group = `/replay/${runId()}`;
    const lake = await strictLake({ logGroupName: group });
    const source = runId();
    const encode = createRecordEncoder({ recipientAccountId: KEY.accountId });
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-replay-it-'));
    dirs.push(dir);
    const file = join(dir, 'dead.jsonl');
    const letters = Array.from({ length: 40 }, (_, n) => ({ event: { id: `${source}-${n}`, eventData: encode(record(source, n))!.json }, reason: { code: 'Exit', message: 'm' }, time: new Date().toISOString(), attempts: 0 }));
    writeFileSync(file, letters.map((letter) => `${JSON.stringify(letter)}\n`).join(''));
    const env = { AUDITLAKE_ENDPOINT: lake.endpoint, AWS_REGION: lake.region, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey };
    const args = ['--log-group', group, '--log-stream', 'replayed'];
    const first = await replay(file, env, args);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('delivered 40');
    const second = await replay(file, env, args);
    expect(second.stdout).toContain('delivered 0, already delivered before 40');
    const rows = await lake.query(`SELECT count(*) AS n FROM "${group}" WHERE message.eventSource = '${source}'`);
    expect(rows[0]).toEqual({ n: 40 });
  });
});
