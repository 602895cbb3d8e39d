import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '@auditlake/core';
import type { AuditLakePinoOptions } from '../src/index.js';
import { fakeLakeForFile, startFakeLake } from './fake-lake.js';
import { CHANNEL_ARN, EVENT_TIME } from '../../../test/support/adapter-helpers.js';

// pino loads the transport in a worker thread from the built package (`npx tsc -b` first).
const TARGET = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const lake = fakeLakeForFile({ fail: { Reject: 'InvalidEventSource' } });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-pino-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The worker's environment: no AUDITLAKE_* from the developer's shell, and where letters go. */
function workerEnv(extra: Record<string, string> = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AUDITLAKE_')));
  return { ...env, AUDITLAKE_TEST_LETTERS: join(dir, 'letters.jsonl'), ...extra };
}

function transportOf(options: Partial<AuditLakePinoOptions>, target = TARGET, env = workerEnv()) {
  return pino.transport({
    target,
    options: { channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials, deadLetterModule: fixture('dead-letters.mjs'), ...options },
    worker: { env },
  });
}

type Transport = ReturnType<typeof pino.transport>;

/** Ends the transport (pino does this at exit): blocks until the worker's close has run. */
async function finish(transport: Transport): Promise<void> {
  const closed = once(transport, 'close');
  transport.end();
  await closed;
}

function letters(): DeadLetter[] {
  const file = join(dir, 'letters.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as DeadLetter);
}

const audit = (i: number) => ({ audit: { eventName: 'Charge', requestParameters: { amount: i } }, 'user.id': `frank-${i}` });

describe('@auditlake/pino in pino.transport()', () => {
  it('sends N audit lines as N mapped events: name as eventSource, level label, message, time', async () => {
    const transport = transportOf({});
    const logger = pino({ name: 'payments' }, transport);
    await once(transport, 'ready');
    const before = Date.now();
    for (let i = 0; i < 7; i++) logger.info({ ...audit(i), cart: 'c-1' }, `charged ${i}`);
    logger.info({ cart: 'c-1' }, 'not an audit line');
    logger.warn('neither');
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(7));
    lake.events.forEach((data, i) => {
      expect(data).toMatchObject({
        eventName: 'Charge',
        eventSource: 'payments',
        userIdentity: { type: 'CustomUserIdentity', principalId: `frank-${i}` },
        requestParameters: { amount: i },
        recipientAccountId: '123456789012',
        additionalEventData: { message: `charged ${i}`, severity: 'info', attributes: { cart: 'c-1', pid: process.pid } },
      });
      expect(data.eventTime).toMatch(EVENT_TIME);
      expect(Date.parse(data.eventTime!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(data.additionalEventData?.attributes).toHaveProperty('hostname');
      expect(data.additionalEventData?.attributes).not.toHaveProperty('name');
    });
    expect(lake.requests).toEqual([{ channelArn: CHANNEL_ARN, count: 7 }]);
    expect(letters()).toEqual([]);
  });

  it("uses pino's levels (custom ones too) and messageKey, and feeds err into errorCode/errorMessage", async () => {
    const transport = transportOf({});
    const logger = pino({ name: 'ledger', customLevels: { audit: 35 }, messageKey: 'message' }, transport);
    await once(transport, 'ready');
    logger.audit(audit(1), 'custom level');
    logger.error({ ...audit(2), err: Object.assign(new TypeError('card declined'), { code: 'E42' }) }, 'failed charge');
    logger.error({ ...audit(3), err: new Error('ignored'), 'error.type': 'CardDeclined' }, 'explicit attribute wins');
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(3));
    const [custom, failed, explicit] = lake.events;
    expect(custom?.additionalEventData).toMatchObject({ severity: 'audit', message: 'custom level' });
    expect(failed).toMatchObject({ errorCode: 'TypeError', errorMessage: 'card declined', additionalEventData: { severity: 'error' } });
    expect(failed?.additionalEventData?.attributes).toMatchObject({ err: { type: 'TypeError', message: 'card declined', code: 'E42' } });
    expect(explicit).toMatchObject({ errorCode: 'CardDeclined', errorMessage: 'ignored' });
  });

  it('dead-letters invalid lines and service rejections with their codes, through deadLetterModule', async () => {
    const transport = transportOf({});
    const logger = pino({ name: 'payments' }, transport);
    await once(transport, 'ready');
    logger.info({ audit: { eventName: 'NoPrincipal' } });
    logger.info({ ...audit(1), 'client.address': 'not-an-ip' });
    logger.info({ audit: { eventName: 'Reject' }, 'user.id': 'u' });
    logger.info(audit(2));
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(1));
    expect(letters().map((l) => l.reason.code)).toEqual(['FieldNotFound', 'InvalidData', 'InvalidEventSource']);
    expect(letters()[2]?.attempts).toBe(1);
  });

  it('writes dead letters to the deadLetter file (plain-data option)', async () => {
    const file = join(dir, 'dead.jsonl');
    const transport = transportOf({ deadLetterModule: undefined, deadLetter: file });
    const logger = pino({ name: 'payments' }, transport);
    await once(transport, 'ready');
    logger.info({ audit: { eventName: 'NoPrincipal' } });
    await finish(transport);
    const written = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);
    expect(written.map((l) => l.reason.code)).toEqual(['FieldNotFound']);
  });

  it('replaces the conversion with mapModule; a throwing map dead-letters the line, the rest goes on', async () => {
    const transport = transportOf({ mapModule: fixture('map-actions.mjs') });
    const logger = pino({ name: 'admin' }, transport);
    await once(transport, 'ready');
    logger.info({ action: 'DeleteUser', actor: 'root' }, 'deleted');
    logger.info({ audit: { eventName: 'IgnoredByTheMap' }, 'user.id': 'u' }, 'no action: not an audit event here');
    logger.info({ explode: true, action: 'Boom' }, 'the map throws');
    logger.info({ action: 'CreateUser', actor: 'root' }, 'created');
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(2));
    expect(lake.events.map((e) => [e.eventName, e.eventSource, e.userIdentity.principalId])).toEqual([
      ['DeleteUser', 'admin', 'root'],
      ['CreateUser', 'admin', 'root'],
    ]);
    const [letter] = letters();
    expect(letter?.reason).toEqual({ code: 'MappingFailed', message: 'mapModule threw: cannot map this line' });
    expect(letter?.event.eventData).toContain('the map throws');
  });

  it('survives lines that are not JSON or oddly shaped, and circular/BigInt values', async () => {
    const transport = transportOf({});
    const logger = pino({ name: 'odd' }, transport);
    await once(transport, 'ready');
    transport.write('this is not json\n');
    transport.write('42\n');
    transport.write('{"level":"shouting","time":"not a time","msg":{"nested":[1,2]},"name":{"not":"a string"},"__proto__":{"polluted":true},"audit":{"eventName":"Odd","eventSource":"raw"},"user.id":"u"}\n');
    const circular: Record<string, unknown> = { id: 1 };
    circular.self = circular;
    logger.info({ ...audit(1), circular, big: 2n ** 40n }, 'hostile values');
    logger.info(audit(2), 'still alive');
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(3));
    const [odd, hostile, alive] = lake.events;
    expect(odd).toMatchObject({
      eventName: 'Odd',
      eventSource: 'raw',
      additionalEventData: { severity: 'shouting', message: '{"nested":[1,2]}', attributes: { name: { not: 'a string' }, time: 'not a time' } },
    });
    expect(hostile?.additionalEventData?.attributes).toMatchObject({ circular: { id: 1, self: '[Circular]' }, big: 2 ** 40 });
    expect(alive?.requestParameters).toEqual({ amount: 2 });
  });

  it('applies backpressure in the read loop: a burst into a small queue is delivered, not QueueFull', async () => {
    const slow = await startFakeLake({ delayMs: 20 });
    try {
      const transport = transportOf({ endpoint: slow.endpoint, maxQueueEvents: 20, maxBatchEvents: 10, maxConcurrentRequests: 1, flushIntervalMs: 5 });
      const logger = pino({ name: 'burst' }, transport);
      await once(transport, 'ready');
      for (let i = 0; i < 300; i++) logger.info(audit(i));
      await finish(transport);
      await vi.waitFor(() => expect(slow.events).toHaveLength(300));
      expect(slow.events.map((e) => e.requestParameters?.amount)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(letters()).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('logger.flush(cb) calls back once what was logged is delivered (no end needed)', async () => {
    const transport = transportOf({ flushIntervalMs: 60_000 });
    const logger = pino({ name: 'lambda' }, transport);
    await once(transport, 'ready');
    for (let i = 0; i < 5; i++) logger.info(audit(i));
    await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
    // Only the flush can have sent them: the batch timer is a minute away.
    await vi.waitFor(() => expect(lake.events).toHaveLength(5), { timeout: 500 });
    logger.info(audit(5));
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(6));
  });

  it('works as one target among several (targets: [...]) with per-target levels', async () => {
    const file = join(dir, 'all.log');
    const transport = pino.transport({
      targets: [
        { target: TARGET, level: 'info', options: { channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials, deadLetterModule: fixture('dead-letters.mjs') } },
        { target: 'pino/file', level: 'debug', options: { destination: file } },
      ],
      worker: { env: workerEnv() },
    });
    const logger = pino({ name: 'multi', level: 'debug' }, transport);
    await once(transport, 'ready');
    logger.debug(audit(0), 'below the target level');
    logger.info(audit(1), 'sent');
    await finish(transport);
    await vi.waitFor(() => expect(lake.events).toHaveLength(1));
    expect(lake.events[0]).toMatchObject({ eventSource: 'multi', requestParameters: { amount: 1 } });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

});

describe('a process that logs through pino.transport and exits normally', () => {
  it.each([
    ['when its event loop empties', []],
    ['on process.exit()', ['exit']],
  ])('delivers everything it logged, without flush or end, and then exits: %s', async (_, extra) => {
    const started = Date.now();
    const child = spawn(process.execPath, [fixture('log-and-exit.mjs'), '150', ...extra], {
      cwd: dir,
      env: workerEnv({ AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AUDITLAKE_ENDPOINT: lake.endpoint, AUDITLAKE_DEAD_LETTER: join(dir, 'dead.jsonl') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    await vi.waitFor(() => expect(lake.events).toHaveLength(150));
    expect(lake.events.every((e) => e.eventSource === 'exit-test' && e.userIdentity.principalId === 'exit-user')).toBe(true);
    expect(existsSync(join(dir, 'dead.jsonl'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; letters: DeadLetter[] }

/** Runs fixtures/log-with-options.mjs in its own process; dead letters default to dead.jsonl in the test's directory. */
async function runWithOptions(options: Record<string, unknown>, env: Record<string, string> = {}): Promise<Run> {
  const deadFile = join(dir, 'dead.jsonl');
  const child = spawn(process.execPath, [fixture('log-with-options.mjs')], {
    cwd: dir,
    env: workerEnv({ TRANSPORT_OPTIONS: JSON.stringify(options), AUDITLAKE_DEAD_LETTER: deadFile, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const letters = existsSync(deadFile) ? readFileSync(deadFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as DeadLetter) : [];
  return { code, signal, stdout, stderr, letters };
}

const principals = (letters: DeadLetter[]) => letters.map((l) => (JSON.parse(l.event.eventData) as { userIdentity?: { principalId?: string } }).userIdentity?.principalId ?? null);

describe('nothing the transport meets crashes the host process', () => {
  const good = () => ({ channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials });

  it.each([
    ['no channelArn', { channelArn: undefined }, 'Configuration: channelArn is invalid'],
    ['a core limit out of range', { maxBatchEvents: 0 }, 'Configuration: maxBatchEvents is invalid'],
    ['shutdownTimeoutMs beyond pino', { shutdownTimeoutMs: 20_000 }, 'Configuration: shutdownTimeoutMs is invalid, expected at most 9000'],
    ['deadLetterModule together with deadLetter', { deadLetterModule: fixture('dead-letters.mjs'), deadLetter: './dead.jsonl' }, 'Configuration: deadLetterModule is invalid'],
  ])('%s: reported on stderr, every audit record dead-lettered with ConfigurationError, exit code 0', async (_, bad, message) => {
    const run = await runWithOptions({ ...good(), ...bad });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('dead-lettered with ConfigurationError');
    // The plain line is not an audit record; the four audit records are kept, with what mapping could do without the options.
    expect(run.letters.map((l) => l.reason.code)).toEqual(Array(4).fill('ConfigurationError'));
    expect(principals(run.letters)).toEqual(['user-0', 'user-1', 'user-2', null]);
    expect(run.letters.every((l) => l.attempts === 0 && /^[-_A-Za-z0-9]{1,128}$/.test(l.event.id))).toBe(true);
    expect(lake.events).toEqual([]);
  });

  it('a mapModule that cannot be loaded: reported, and every line kept as a dead letter', async () => {
    const run = await runWithOptions({ ...good(), mapModule: './does-not-exist.mjs' });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('cannot load its mapModule: Configuration: mapModule is invalid, expected a module that can be imported');
    expect(run.letters.map((l) => l.reason.code)).toEqual(Array(5).fill('ConfigurationError'));
    expect(run.letters.map((l) => (JSON.parse(l.event.eventData) as { msg: string }).msg)).toEqual(['probe', 'probe', 'probe', 'no actor', 'a plain line']);
    expect(lake.events).toEqual([]);
  });

  it('a deadLetterModule that is not a function: reported; records delivered, letters to the dead-letter file', async () => {
    const run = await runWithOptions({ ...good(), deadLetterModule: fixture('not-a-function.mjs') });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('cannot load its deadLetterModule: Configuration: deadLetterModule is invalid, expected a module whose default export is a function');
    expect(run.stderr).toContain(`dead letters go to ${join(dir, 'dead.jsonl')}`);
    await vi.waitFor(() => expect(lake.events).toHaveLength(3));
    expect(run.letters.map((l) => l.reason.code)).toEqual(['FieldNotFound']);
  });

  it('a delivery failure (nothing listens at the endpoint): announced on stderr before exit, records dead-lettered', async () => {
    const run = await runWithOptions({ ...good(), endpoint: 'http://127.0.0.1:9', retryDeadlineMs: 200, retryBaseDelayMs: 10 });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.letters.map((l) => l.reason.code).sort()).toEqual(['FieldNotFound', 'RetryDeadline', 'RetryDeadline', 'RetryDeadline']);
    // The worker's announcements reach stderr although the process exits right after logging.
    expect(run.stderr).toContain('first with reason FieldNotFound');
    expect(run.stderr).toContain('first with reason RetryDeadline');
  });
});

describe("waiting for delivery: await logger.flush()", () => {
  it('has delivered (or dead-lettered) every record logged before it when it resolves, in a real process', async () => {
    const run = await runWithOptions({ channelArn: CHANNEL_ARN, endpoint: lake.endpoint, credentials, flushIntervalMs: 60_000 }, { END: 'flush' });
    // Killed right after the flush: pino's exit handler never ran, so only the flush delivered.
    expect({ signal: run.signal, stdout: run.stdout }).toEqual({ signal: 'SIGKILL', stdout: 'flushed\n' });
    await vi.waitFor(() => expect(lake.events).toHaveLength(3));
    expect(run.letters.map((l) => l.reason.code)).toEqual(['FieldNotFound']);
  });
});
