import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli.js';
import { auditEvent, BIN, exited, lake, putRaw, tempDir } from './helpers.js';

/** Runs `auditlake …` in this process, with captured output. */
async function run(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([options.stdin ?? '']),
    env: options.env ?? {},
    onStopSignal: () => undefined,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const servers = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  // Servers a failed test left running.
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `auditlake serve` in its own process; resolves with its --json start-up line. */
async function serveJson(args: string[], env: Record<string, string> = {}): Promise<{ child: ReturnType<typeof spawn>; info: Record<string, unknown>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
  servers.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0] as string) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stdout}${stderr}`)));
  });
  child.removeAllListeners('exit');
  return { child, info, stderr: () => stderr };
}

async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  child.kill('SIGTERM');
  expect(await exited(child)).toEqual({ code: 0, signal: null });
}

describe('auditlake serve: machine-readable start', () => {
  it('--json prints one JSON line on stdout (endpoint, store, key pair, env) and nothing else there; --ready-file writes it and is removed at stop', async () => {
    const dir = tempDir();
    const ready = join(tempDir(), 'ready.json');
    const { child, info, stderr } = await serveJson(['--port', '0', '--data-dir', dir, '--json', '--ready-file', ready]);
    expect(info).toMatchObject({ dataDir: dir, region: 'us-east-1', accountId: '123456789012', strictAuth: false, faults: 'off', pid: child.pid });
    expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.credentials).toMatchObject({ accessKeyId: expect.stringMatching(/^AKIA/) as unknown });
    expect(info.env).toMatchObject({ AUDITLAKE_ENDPOINT: info.endpoint, AUDITLAKE_CHANNEL_ARN: info.channelArn, AWS_REGION: 'us-east-1' });
    expect(JSON.parse(readFileSync(ready, 'utf8'))).toEqual(info);
    expect(statSync(ready).mode & 0o777).toBe(0o600);
    expect((await putRaw(info.endpoint as string, { channelArn: info.channelArn as string, body: { auditEvents: [auditEvent('j1')] } })).status).toBe(200);
    await stop(child);
    // The request log goes to stderr, never into the JSON on stdout.
    expect(stderr()).toMatch(/PutAuditEvents 200/);
    expect(existsSync(ready)).toBe(false);
    expect(stderr()).toMatch(/auditlake: SIGTERM, stopping\nauditlake: stopped/);
  });

  it('--write-env-file writes AUDITLAKE_* and the lake\'s key pair for node --env-file (mode 0600), so the shell\'s credentials stay as they are', async () => {
    const dir = tempDir();
    const envFile = join(tempDir(), 'lake.env');
    const { child, info } = await serveJson(['--port', '0', '--data-dir', dir, '--json', '--write-env-file', envFile, '--strict-auth']);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const printed = spawnSync(process.execPath, [`--env-file=${envFile}`, '-e', 'console.log(JSON.stringify([process.env.AUDITLAKE_ENDPOINT, process.env.AUDITLAKE_CHANNEL_ARN, process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY]))'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    const credentials = info.credentials as { accessKeyId: string; secretAccessKey: string };
    expect(JSON.parse(printed.stdout)).toEqual([info.endpoint, info.channelArn, credentials.accessKeyId, credentials.secretAccessKey]);
    await stop(child);
  });
});

describe('auditlake serve: AUDITLAKE_* for every flag', () => {
  it('takes each option from its environment variable; a flag wins over the variable', async () => {
    const dir = tempDir();
    const { child, info, stderr } = await serveJson(['--json', '--retention-days', '40'], {
      AUDITLAKE_PORT: '0',
      AUDITLAKE_DATA_DIR: dir,
      AUDITLAKE_STRICT_AUTH: 'true',
      AUDITLAKE_FAULTS: 'throttle=1x1',
      AUDITLAKE_REGION: 'eu-west-1',
      AUDITLAKE_ACCOUNT_ID: '111122223333',
      AUDITLAKE_RETENTION_DAYS: '30',
      AUDITLAKE_EXTERNAL_ID: 'ext-123',
      AUDITLAKE_QUERY_TIMEOUT_MS: '5000',
      AUDITLAKE_QUERY_MEMORY_LIMIT_MB: '256',
      AUDITLAKE_MAX_RUNNING_QUERIES: '1',
      AUDITLAKE_MAX_QUERY_RESULTS_BYTES: '100000',
      AUDITLAKE_HOST: '127.0.0.1',
      AUDITLAKE_QUIET: 'yes',
      AUDITLAKE_ALLOWED_HOSTS: 'lake.test, other.test',
      AUDITLAKE_MAX_TPS: '1000',
      AUDITLAKE_MAX_CONNECTIONS: '64',
      AUDITLAKE_IDLE_TIMEOUT_MS: '20000',
    });
    expect(info).toMatchObject({ dataDir: dir, strictAuth: true, faults: 'throttle=1x1', region: 'eu-west-1', accountId: '111122223333', externalId: 'ext-123' });
    const put = () => putRaw(info.endpoint as string, { channelArn: info.channelArn as string, externalId: 'ext-123', body: { auditEvents: [auditEvent('e1')] } });
    expect((await put()).status).toBe(429);
    expect((await put()).status).toBe(403);
    await stop(child);
    expect(stderr()).not.toMatch(/PutAuditEvents/);
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as { eventDataStores: { retentionDays: number }[] };
    expect(catalog.eventDataStores[0]?.retentionDays).toBe(40);
  });

  it('a bad value in a variable is a usage error that names the variable', async () => {
    const result = await run(['serve'], { env: { AUDITLAKE_PORT: 'eighty' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/AUDITLAKE_PORT must be an integer from 0 to 65535 \(actual: "eighty"\)/);
    const flag = await run(['serve'], { env: { AUDITLAKE_STRICT_AUTH: 'maybe' } });
    expect(flag.stderr).toMatch(/AUDITLAKE_STRICT_AUTH must be 1\/true\/yes\/on or 0\/false\/no\/off \(actual: "maybe"\)/);
  });
});

describe('help', () => {
  it('each command has its own --help, also as "auditlake help <command>"', async () => {
    const serveHelp = await run(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toMatch(/^Usage: auditlake serve/);
    expect(serveHelp.stdout).toMatch(/--ready-file <path> .* \[AUDITLAKE_READY_FILE\]/);
    expect(serveHelp.stdout).not.toMatch(/auditlake query/);
    expect((await run(['help', 'query'])).stdout).toMatch(/^Usage: auditlake query "<sql>"[\s\S]*--max-rows <n>/);
    expect((await run(['verify', '-h'])).stdout).toMatch(/^Usage: auditlake verify/);
    expect((await run(['replay', '--help'])).stdout).toMatch(/^Usage: auditlake replay/);
    const usageError = await run(['query', '--bogus']);
    expect(usageError.code).toBe(2);
    expect(usageError.stderr).toMatch(/Unknown option '--bogus'[\s\S]*Usage: auditlake query/);
  });
});

describe('auditlake query', () => {
  async function lakeWithEvents(): Promise<string> {
    const dir = tempDir();
    const l = await lake({ dataDir: dir });
    const events = [auditEvent('c1', { UID: 'c1', userIdentity: { type: 'T', principalId: 'alice, "the admin"' } }), auditEvent('c2', { UID: 'c2', userIdentity: { type: 'T', principalId: 'bob' }, errorCode: 'Denied' })];
    expect((await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } })).status).toBe(200);
    return dir;
  }

  it('--output csv (RFC 4180, NULL as empty) and --output json; SQL from --file and from stdin', async () => {
    const dir = await lakeWithEvents();
    const sql = `SELECT eventData.UID AS uid, eventData.userIdentity.principalId AS who, eventData.errorCode AS error, eventData.userIdentity AS identity FROM STORE ORDER BY 1`;
    const store = (JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as { eventDataStores: { id: string }[] }).eventDataStores[0]?.id as string;
    const csv = await run(['query', sql.replace('STORE', store), '--data-dir', dir, '--output', 'csv']);
    expect(csv.stderr).toBe('');
    expect(csv.stdout).toBe('uid,who,error,identity\r\nc1,"alice, ""the admin""",,"{""type"":""T"",""principalId"":""alice, \\""the admin\\"""",""details"":null}"\r\nc2,bob,Denied,"{""type"":""T"",""principalId"":""bob"",""details"":null}"\r\n');
    const file = join(tempDir(), 'q.sql');
    writeFileSync(file, `-- a comment\n${sql.replace('STORE', store)}\n`);
    const json = await run(['query', '--file', file, '--data-dir', dir, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { uid: 'c1', who: 'alice, "the admin"', error: null, identity: { type: 'T', principalId: 'alice, "the admin"', details: null } },
      { uid: 'c2', who: 'bob', error: 'Denied', identity: { type: 'T', principalId: 'bob', details: null } },
    ]);
    const piped = await run(['query', '-', '--data-dir', dir, '--json'], { stdin: `SELECT count(*) AS n FROM ${store}` });
    expect(JSON.parse(piped.stdout)).toEqual([{ n: 2 }]);
    expect(JSON.parse((await run(['query', `SELECT 1 AS x FROM ${store} WHERE false`, '--data-dir', dir, '--json'])).stdout)).toEqual([]);
    expect((await run(['query', `SELECT 1 AS x FROM ${store} WHERE false`, '--data-dir', dir, '--output', 'csv'])).stdout).toBe('x\r\n');
  });

  it('prints at most --max-rows rows (10,000 by default) and says so on stderr; --max-rows 0 prints all', async () => {
    const dir = await lakeWithEvents();
    const many = 'SELECT i FROM range(10005) t(i)';
    const capped = await run(['query', many, '--data-dir', dir, '--output', 'csv']);
    expect(capped.code).toBe(0);
    expect(capped.stdout.trim().split('\r\n')).toHaveLength(10_001);
    expect(capped.stderr).toMatch(/more than 10000 rows; printed the first 10000 \(--max-rows <n> to change, 0 for all\)/);
    const table = await run(['query', many, '--data-dir', dir, '--max-rows', '3']);
    expect(table.stdout.split('\n').slice(0, 6)).toEqual(['i', '-', '0', '1', '2', '(3 rows)']);
    expect(table.stderr).toMatch(/printed the first 3/);
    const all = await run(['query', many, '--data-dir', dir, '--max-rows', '0', '--json']);
    expect(JSON.parse(all.stdout)).toHaveLength(10_005);
    expect(all.stderr).toBe('');
  });
});
