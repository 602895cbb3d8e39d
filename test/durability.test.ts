import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetter } from '@auditlake/core';
import type { LocalLake } from '@auditlake/local';
import { closeAll, KEY, runId, strictLake } from './helpers.js';

// Real processes, really ending: killed with SIGKILL, running off the end of main, calling
// process.exit(), all against the real local lake (strict SigV4). What each one accepted must
// end up delivered, kept in the spool for the next process, or dead-lettered with a reason.

const core = fileURLToPath(new URL('../packages/core/dist/index.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-durability-'));
  dirs.push(dir);
  return dir;
}

/** A port nothing listens on: an endpoint that refuses connections. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A Node program that creates a sink from `options` (JSON) and runs `body`. */
function program(options: Record<string, unknown>, body: string): string {
  return `
    import { createAuditSink } from ${JSON.stringify(core)};
    const options = ${JSON.stringify(options)};
    const record = (source, n) => ({ attributes: { audit: { eventName: 'SignIn', eventSource: source, userIdentity: { principalId: 'user-' + n } } } });
    const sink = createAuditSink({ ...options, diagnostics: { debug() {}, warn: (m) => process.stderr.write('W ' + m + '\\n'), error: (m) => process.stderr.write('E ' + m + '\\n') } });
    ${body}
  `;
}

function sinkOptions(lake: LocalLake, endpoint: string, extra: Record<string, unknown> = {}) {
  return {
    channelArn: lake.channelArn,
    endpoint,
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey },
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 200,
    ...extra,
  };
}

/** Runs a program to its end. Asynchronously: the lake answering it lives in this process. */
async function runToEnd(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { status, stdout, stderr };
}

async function principals(lake: LocalLake, source: string): Promise<{ events: number; distinct: Set<string> }> {
  const rows = await lake.query(`SELECT eventData.userIdentity.principalId AS who FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${source}'`);
  return { events: rows.length, distinct: new Set(rows.map((row) => String(row.who))) };
}

/** A second process on the same spool: it sends what the first left, then shuts down. */
function drain(lake: LocalLake, spoolDir: string) {
  return runToEnd(
    program(sinkOptions(lake, lake.endpoint, { spoolDir }), `
      while (sink.stats().queuedEvents + sink.stats().inFlightEvents > 0) await sink.flush();
      await sink.shutdown();
      console.log(JSON.stringify(sink.stats()));
    `),
  );
}

const readLetters = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as DeadLetter);

describe('durability across process ends (real processes, the real local lake)', () => {
  it('SIGKILL: every event a killed process had accepted is delivered by the next process on its spool', async () => {
    // A third of the requests are throttled, so the killed process holds a real backlog.
    const lake = await strictLake({ faults: 'throttle=0.3,seed=5' });
    const source = runId();
    const spoolDir = tempDir();
    const child = spawn(process.execPath, ['--input-type=module', '-e', program(sinkOptions(lake, lake.endpoint, { spoolDir }), `
      let n = 0;
      for (;;) {
        for (let i = 0; i < 100; i++) sink.add(record(${JSON.stringify(source)}, n++));
        // Accepted events are written to the spool by the end of the turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        process.stdout.write('accepted ' + n + '\\n');
      }
    `)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let accepted = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      accepted = Number(line.split(' ')[1]);
      if (accepted >= 5000) break;
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const second = await drain(lake, spoolDir);
    expect(second.status).toBe(0);
    const { distinct } = await principals(lake, source);
    for (let n = 0; n < accepted; n++) expect(distinct.has(`user-${n}`)).toBe(true);
    expect(readdirSync(spoolDir).filter((name) => !name.startsWith('.'))).toEqual([]);
  });

  it('a natural exit without shutdown keeps undelivered events in the spool, says so on stderr, and the next process sends them', async () => {
    const lake = await strictLake();
    const source = runId();
    const spoolDir = tempDir();
    const first = await runToEnd(program(sinkOptions(lake, await deadEndpoint(), { spoolDir }), `
      for (let n = 0; n < 1050; n++) sink.add(record(${JSON.stringify(source)}, n));
    `));
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/the process is exiting with 1050 undelivered event\(s\): 1050 kept in the spool .* for the next sink on it/);

    const second = await drain(lake, spoolDir);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ recovered: 1050, delivered: 1050 });
    const { events, distinct } = await principals(lake, source);
    expect(distinct.size).toBe(1050);
    expect(events).toBe(1050);
  });

  it('process.exit() without a spool dead-letters every undelivered event with reason Exit, and one stderr line says how many and where', async () => {
    const lake = await strictLake();
    const source = runId();
    const deadLetter = join(tempDir(), 'dead.jsonl');
    const result = await runToEnd(program(sinkOptions(lake, await deadEndpoint(), { deadLetter }), `
      for (let n = 0; n < 10000; n++) sink.add(record(${JSON.stringify(source)}, n));
      // Exit once the endpoint has refused at least one request, so there is a cause to quote.
      while (sink.stats().retried === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      process.exit(3);
    `));
    expect(result.status).toBe(3);
    const letters = readLetters(deadLetter);
    expect(letters).toHaveLength(10_000);
    expect(new Set(letters.map((letter) => letter.reason.code))).toEqual(new Set(['Exit']));
    expect(letters[0]!.reason.message).toMatch(/the process exited before this event was delivered .*last failure: ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(new Set(letters.map((letter) => letter.event.id)).size).toBe(10_000);
    expect(result.stderr).toContain(`the process is exiting with 10000 undelivered event(s): 10000 dead-lettered with reason Exit to ${deadLetter}`);
  });

  it('running off the end of main without shutdown: what was not delivered is dead-lettered Exit, nothing vanishes', async () => {
    const lake = await strictLake({ faults: 'latency=200@1' });
    const source = runId();
    const deadLetter = join(tempDir(), 'dead.jsonl');
    const result = await runToEnd(program(sinkOptions(lake, lake.endpoint, { deadLetter, flushIntervalMs: 0 }), `
      for (let n = 0; n < 1050; n++) sink.add(record(${JSON.stringify(source)}, n));
    `));
    expect(result.status).toBe(0);
    const { distinct } = await principals(lake, source);
    const letters = existsSync(deadLetter) ? readLetters(deadLetter) : [];
    const lettered = new Set(letters.map((letter) => (JSON.parse(letter.event.eventData) as { userIdentity: { principalId: string } }).userIdentity.principalId));
    for (let n = 0; n < 1050; n++) expect(distinct.has(`user-${n}`) || lettered.has(`user-${n}`)).toBe(true);
    expect(letters.every((letter) => letter.reason.code === 'Exit')).toBe(true);
    if (letters.length > 0) expect(result.stderr).toContain('dead-lettered with reason Exit');
  });

  it('the OTel processor: records still waiting off the emit path when the process ends are kept too', async () => {
    const lake = await strictLake();
    const source = runId();
    const spoolDir = tempDir();
    const otel = fileURLToPath(new URL('../packages/otel/dist/index.js', import.meta.url));
    const script = `
      import { LoggerProvider } from '@opentelemetry/sdk-logs';
      import { AuditLakeLogRecordProcessor } from ${JSON.stringify(otel)};
      const options = ${JSON.stringify(sinkOptions(lake, await deadEndpoint(), { spoolDir }))};
      const provider = new LoggerProvider({ processors: [new AuditLakeLogRecordProcessor(options)] });
      const logger = provider.getLogger('exit');
      for (let n = 0; n < 300; n++) logger.emit({ attributes: { audit: { eventName: 'SignIn', eventSource: ${JSON.stringify(source)}, userIdentity: { principalId: 'user-' + n } } } });
      // No shutdown, and not one turn of the event loop after the burst: all 300 are still waiting in the processor.
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(stderr).toMatch(/exiting with 300 undelivered event\(s\): 300 kept in the spool/);
    const second = await drain(lake, spoolDir);
    expect(JSON.parse(second.stdout)).toMatchObject({ recovered: 300, delivered: 300 });
    expect((await principals(lake, source)).distinct.size).toBe(300);
  });

  it.each(['winston', 'pino'])('%s: a process that ends without ending its logger, during an outage, keeps its audit records in the spool for the next one', async (logger) => {
    const lake = await strictLake();
    const source = runId();
    const spoolDir = tempDir();
    const options = sinkOptions(lake, await deadEndpoint(), { spoolDir, shutdownTimeoutMs: 300 });
    const packages = fileURLToPath(new URL('../packages/', import.meta.url));
    const script = logger === 'winston'
      ? `
        import winston from 'winston';
        import { AuditLakeTransport } from ${JSON.stringify(`${packages}winston/dist/index.js`)};
        const log = winston.createLogger({ transports: [new AuditLakeTransport(${JSON.stringify(options)})] });
        for (let n = 0; n < 200; n++) log.info('signed in', { audit: { eventName: 'SignIn', eventSource: ${JSON.stringify(source)}, userIdentity: { principalId: 'user-' + n } } });
      `
      : `
        import pino from 'pino';
        const transport = pino.transport({ target: ${JSON.stringify(`${packages}pino/dist/index.js`)}, options: ${JSON.stringify(options)} });
        const log = pino({ name: ${JSON.stringify(source)} }, transport);
        for (let n = 0; n < 200; n++) log.info({ audit: { eventName: 'SignIn', userIdentity: { principalId: 'user-' + n } } }, 'signed in');
      `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(stderr).toMatch(/200 undelivered event\(s\)/);
    const second = await drain(lake, spoolDir);
    expect(JSON.parse(second.stdout)).toMatchObject({ recovered: 200, delivered: 200 });
    expect((await principals(lake, source)).distinct.size).toBe(200);
  });

  it('an outage: 20,000 events accepted while the endpoint is down are all delivered once it returns', async () => {
    const lake = await strictLake();
    const source = runId();
    const spoolDir = tempDir();
    const first = await runToEnd(program(sinkOptions(lake, await deadEndpoint(), { spoolDir, shutdownTimeoutMs: 200 }), `
      for (let n = 0; n < 20000; n++) {
        sink.add(record(${JSON.stringify(source)}, n));
        if (n % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      }
      await sink.shutdown();
      console.log(JSON.stringify(sink.stats()));
    `));
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ added: 20000, delivered: 0, deadLettered: { total: 0 }, queuedEvents: 20000 });
    const second = await drain(lake, spoolDir);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ recovered: 20000, delivered: 20000, deadLettered: { total: 0 } });
    const { events, distinct } = await principals(lake, source);
    expect(distinct.size).toBe(20_000);
    expect(events).toBe(20_000);
  });
});
