import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '@auditlake/core';
import type { AuditLakePinoOptions } from '../src/index.js';
import { startFakeLake } from './fake-lake.js';
import { CHANNEL_ARN, EVENT_TIME } from '../../../test/support/adapter-helpers.js';

// pino loads the transport in a worker thread from the built package (`npx tsc -b` first).
const TARGET = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

type Lake = Awaited<ReturnType<typeof startFakeLake>>;
let lake: Lake;
let dir: string;
beforeAll(async () => {
  lake = await startFakeLake({ fail: { Reject: 'InvalidEventSource' } });
});
afterAll(async () => {
  await lake.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-pino-'));
  lake.events.length = 0;
  lake.requests.length = 0;
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

  it.each([
    ['no channelArn', { channelArn: undefined }, 'Configuration: channelArn is invalid'],
    ['a mapModule that does not exist', { mapModule: './does-not-exist.mjs' }, 'Configuration: mapModule is invalid, expected a module that can be imported'],
    ['a deadLetterModule without a function', { deadLetterModule: fixture('not-a-function.mjs') }, 'Configuration: deadLetterModule is invalid, expected a module whose default export is a function (letter) => void'],
    ['shutdownTimeoutMs beyond pino', { shutdownTimeoutMs: 20_000 }, 'Configuration: shutdownTimeoutMs is invalid, expected at most 9000'],
    ['a core limit out of range', { maxBatchEvents: 0 }, 'Configuration: maxBatchEvents is invalid'],
  ] as [string, Partial<AuditLakePinoOptions>, string][])('reports a bad option as an error event on the transport: %s', async (_, options, message) => {
    const transport = transportOf(options);
    // Hook modules load once pino has sent its config, which pino() does.
    pino(transport);
    const [error] = (await once(transport, 'error')) as [Error];
    expect(error.message).toContain(message);
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
