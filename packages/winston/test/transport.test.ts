import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import AuditLakeTransportDefault, { AuditLakeTransport, type AuditLakeTransportOptions } from '../src/index.js';
import { startFakeLake } from './fake-lake.js';
import { CHANNEL_ARN, EVENT_TIME, deadLetters, recordingSend, type Answer } from '../../../test/support/adapter-helpers.js';

const loggers: winston.Logger[] = [];
afterEach(async () => {
  await Promise.all(loggers.splice(0).map((logger) => end(logger)));
});

const ended = new WeakMap<winston.Logger, Promise<void>>();

/** `logger.end()`, resolved on winston's `finish` (once per logger). */
function end(logger: winston.Logger): Promise<void> {
  let finished = ended.get(logger);
  if (!finished) {
    finished = new Promise((resolve) => {
      logger.once('finish', () => resolve());
      logger.end();
    });
    ended.set(logger, finished);
  }
  return finished;
}

function setup(options: Partial<AuditLakeTransportOptions> = {}, logger: winston.LoggerOptions = {}, answer?: Answer, delayMs = 0) {
  const network = recordingSend(answer, delayMs);
  const dead = deadLetters();
  const transport = new AuditLakeTransport({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: dead.deadLetter, eventSource: 'shop', ...options });
  const warnings: Error[] = [];
  const errors: unknown[] = [];
  const instance = winston.createLogger({ format: winston.format.combine(winston.format.timestamp(), winston.format.json()), ...logger, transports: [transport] });
  instance.on('warn', (error: Error) => warnings.push(error));
  instance.on('error', (error) => errors.push(error));
  loggers.push(instance);
  return { transport, logger: instance, network, dead, warnings, errors };
}

const auditMeta = (i: number) => ({ audit: { eventName: 'PlaceOrder', requestParameters: { order: i } }, 'user.id': `erin-${i}` });

describe('AuditLakeTransport', () => {
  it('is the default export', () => {
    expect(AuditLakeTransportDefault).toBe(AuditLakeTransport);
  });

  it('sends N audit records as N mapped events, skips and counts the others', async () => {
    const { logger, network, transport } = setup();
    const before = Date.now();
    for (let i = 0; i < 6; i++) logger.info(`order ${i} placed`, { ...auditMeta(i), cart: { items: i } });
    logger.info('plain log line', { cart: { items: 1 } });
    logger.debug('filtered by the logger level (info): never reaches the transport', auditMeta(99));
    await end(logger);
    const events = network.events();
    expect(events).toHaveLength(6);
    events.forEach((data, i) => {
      expect(data).toMatchObject({
        eventName: 'PlaceOrder',
        eventSource: 'shop',
        userIdentity: { type: 'CustomUserIdentity', principalId: `erin-${i}` },
        requestParameters: { order: i },
        additionalEventData: { message: `order ${i} placed`, severity: 'info', attributes: { cart: { items: i } } },
      });
      expect(data.eventTime).toMatch(EVENT_TIME);
      // From the timestamp format's value, to the second.
      expect(Date.parse(data.eventTime!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(data.additionalEventData).not.toHaveProperty('attributes.timestamp');
    });
    expect(transport.stats()).toMatchObject({ added: 7, skipped: 1, delivered: 6, deadLettered: { total: 0 } });
  });

  it("logger.end() emits 'finish' only after every record was delivered", async () => {
    const { logger, network, transport } = setup({}, {}, undefined, 80);
    for (let i = 0; i < 250; i++) logger.info('slow', auditMeta(i));
    const finished = end(logger).then(() => transport.stats());
    const atFinish = await finished;
    expect(atFinish).toMatchObject({ added: 250, delivered: 250, queuedEvents: 0, inFlightEvents: 0 });
    expect(network.requests.map((r) => r.auditEvents.length)).toEqual([100, 100, 50]);
  });

  it('merges logger.child() metadata into the attributes', async () => {
    const { logger, network } = setup();
    const child = logger.child({ 'user.id': 'dave', requestId: 'req-7' });
    child.info('refund', { audit: { eventName: 'Refund' } });
    child.child({ 'client.address': '192.0.2.10' }).warn('refund again', { audit: { eventName: 'Refund' } });
    await end(logger);
    const [first, second] = network.events();
    expect(first).toMatchObject({ userIdentity: { principalId: 'dave' }, additionalEventData: { attributes: { requestId: 'req-7' } } });
    expect(second).toMatchObject({ sourceIPAddress: '192.0.2.10', additionalEventData: { severity: 'warn' } });
  });

  it("honours the transport's level and format, and writes the level without colours", async () => {
    const dropPrivate = winston.format((info) => (info.private === true ? false : info));
    const { logger, network, transport } = setup({
      level: 'warn',
      format: winston.format.combine(dropPrivate(), winston.format.colorize(), winston.format.timestamp()),
    });
    logger.info('below the transport level', auditMeta(1));
    logger.warn('kept', auditMeta(2));
    logger.error('dropped by the format', { ...auditMeta(3), private: true });
    logger.error('kept too', auditMeta(4));
    await end(logger);
    const events = network.events();
    expect(events.map((e) => e.requestParameters)).toEqual([{ order: 2 }, { order: 4 }]);
    expect(events.map((e) => e.additionalEventData?.severity)).toEqual(['warn', 'error']);
    expect(transport.stats().added).toBe(2);
  });

  it("dead-letters invalid records with their code and reports them as 'warn', never 'error'", async () => {
    const { logger, dead, warnings, errors, transport } = setup();
    logger.info('no principal', { audit: { eventName: 'Anonymous' } });
    logger.info('bad address', { audit: { eventName: 'X' }, 'user.id': 'u', 'client.address': 'somewhere' });
    logger.info('fine', auditMeta(1));
    await end(logger);
    expect(dead.codes()).toEqual(['FieldNotFound', 'InvalidData']);
    expect(transport.stats()).toMatchObject({ delivered: 1, deadLettered: { total: 2 } });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w instanceof Error)).toBe(true);
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/FieldNotFound/);
    expect(errors).toEqual([]);
  });

  it("surfaces per-event failures and a failing channel as 'warn' events, without crashing", async () => {
    const rejected = setup({}, {}, (data) => (data.eventName === 'Reject' ? { errorCode: 'InvalidEventSource', errorMessage: 'no' } : undefined));
    rejected.logger.info('x', { audit: { eventName: 'Reject' }, 'user.id': 'u' });
    rejected.logger.info('y', auditMeta(1));
    await end(rejected.logger);
    expect(rejected.dead.codes()).toEqual(['InvalidEventSource']);
    expect(rejected.warnings.some((w) => w.message.includes('InvalidEventSource'))).toBe(true);

    // No 'warn' or 'error' listener at all: an unhandled 'error' would throw here.
    const dead = deadLetters();
    const diagnostics: string[] = [];
    const transport = new AuditLakeTransport({
      channelArn: CHANNEL_ARN,
      eventSource: 'shop',
      deadLetter: dead.deadLetter,
      diagnostics: { debug: () => {}, warn: (m) => void diagnostics.push(m), error: (m) => void diagnostics.push(m) },
      send: () => Promise.reject(Object.assign(new Error('channel is gone'), { name: 'ChannelNotFound' })),
    });
    const bare = winston.createLogger({ transports: [transport] });
    bare.info('z', auditMeta(2));
    await end(bare);
    expect(dead.codes()).toEqual(['ChannelNotFound']);
    expect(diagnostics.join('\n')).toMatch(/ChannelNotFound.*configuration fault/);
  });

  it('never lets hostile values crash the host: circular, BigInt, throwing getters', async () => {
    // An identity format, so the raw objects (getters included) reach the transport.
    const { logger, network, dead, transport } = setup({}, { format: winston.format((info) => info)() });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const hostile = {
      level: 'info',
      message: 'hostile',
      audit: { eventName: 'Hostile', requestParameters: { circular, big: 2n ** 70n } },
      'user.id': 'u',
      get explodes(): never {
        throw new Error('getter says no');
      },
    };
    expect(() => logger.log(hostile)).not.toThrow();
    expect(() => logger.info({ message: { nested: circular }, audit: { eventName: 'ObjectMessage' }, 'user.id': 'u' })).not.toThrow();
    await end(logger);
    const events = network.events();
    expect(events.map((e) => e.eventName)).toEqual(['Hostile', 'ObjectMessage']);
    expect(events[0]).toMatchObject({
      requestParameters: { circular: { name: 'loop', self: '[Circular]' }, big: (2n ** 70n).toString() },
      additionalEventData: { attributes: { explodes: '[Unserializable: getter says no]' } },
    });
    expect(events[1]?.additionalEventData?.message).toBe('{"nested":{"name":"loop","self":"[Circular]"}}');
    expect(dead.letters).toEqual([]);
    expect(transport.stats().delivered).toBe(2);
  });

  it('applies backpressure through the log callback instead of dead-lettering a burst', async () => {
    // Queue of 20 and a slow service: without backpressure 480 of these would be QueueFull.
    const { logger, network, transport, errors } = setup({ maxQueueEvents: 20, maxBatchEvents: 10, maxConcurrentRequests: 1, flushIntervalMs: 5 }, {}, undefined, 5);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, transport.stats().queuedEvents + transport.stats().inFlightEvents)), 1);
    for (let i = 0; i < 500; i++) logger.info('burst', auditMeta(i));
    await end(logger);
    clearInterval(sampler);
    expect(transport.stats()).toMatchObject({ added: 500, delivered: 500, deadLettered: { total: 0 } });
    expect(network.events().map((e) => e.requestParameters?.order)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(20);
    // winston ends transports early when a pipe is paused ("write after end"); not ours.
    expect(errors).toEqual([]);
  });

  it('survives a throwing format while records are buffered behind backpressure', async () => {
    const picky = winston.format((info) => {
      if (info.poison === true) throw new Error('format says no');
      return info;
    });
    const { logger, network, warnings, errors } = setup({ format: picky(), maxQueueEvents: 5, maxBatchEvents: 5, maxConcurrentRequests: 1, flushIntervalMs: 5 }, {}, undefined, 5);
    for (let i = 0; i < 60; i++) logger.info('r', i === 30 ? { ...auditMeta(i), poison: true } : auditMeta(i));
    await end(logger);
    expect(network.events()).toHaveLength(59);
    expect(warnings.some((w) => w.message.includes('format says no'))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('flush() without end waits for the records winston still holds behind backpressure', async () => {
    const { logger, network, transport } = setup({ maxQueueEvents: 20, maxBatchEvents: 10, maxConcurrentRequests: 1, flushIntervalMs: 60_000 }, {}, undefined, 2);
    for (let i = 0; i < 200; i++) logger.info('burst', auditMeta(i));
    await transport.flush();
    // Nothing ended: only the flush can have sent them (the batch timer is a minute away).
    expect(transport.stats()).toMatchObject({ added: 200, delivered: 200, queuedEvents: 0, inFlightEvents: 0 });
    expect(network.events()).toHaveLength(200);
  });

  it('flush({ timeoutMs }) rejects with a TimeoutError when delivery takes longer, and the records stay queued', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const network = recordingSend();
    const transport = new AuditLakeTransport({ channelArn: CHANNEL_ARN, eventSource: 'shop', deadLetter: deadLetters().deadLetter, send: (input, options) => gate.then(() => network.send(input, options)) });
    const logger = winston.createLogger({ transports: [transport] });
    loggers.push(logger);
    logger.info('slow', auditMeta(1));
    const error = await transport.flush({ timeoutMs: 10 }).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'TimeoutError', message: 'auditlake: 1 event(s) not delivered within 10 ms; they stay queued' });
    release();
    await transport.flush();
    expect(transport.stats()).toMatchObject({ delivered: 1, deadLettered: { total: 0 } });
  });

  it('shares a given sink: ending the transport flushes it but leaves it open', async () => {
    const { createAuditSink } = await import('@auditlake/core');
    const network = recordingSend();
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: network.send, eventSource: 'shared' });
    const logger = winston.createLogger({ transports: [new AuditLakeTransport({ sink })] });
    logger.info('a', auditMeta(1));
    await end(logger);
    expect(network.events()).toHaveLength(1);
    sink.add({ attributes: auditMeta(2) });
    await sink.shutdown();
    expect(sink.stats().delivered).toBe(2);
  });

  it('close() (logger.close / remove) shuts the sink down, delivering what was logged', async () => {
    const { logger, network, transport } = setup();
    logger.info('a', auditMeta(1));
    logger.close();
    await transport.sink.shutdown(); // idempotent: the same shutdown close() started
    expect(network.events()).toHaveLength(1);
  });

  it('throws a ConfigurationError naming the option at construction', () => {
    expect(() => new AuditLakeTransport({ channelArn: CHANNEL_ARN, maxBatchEvents: 500 })).toThrow(
      'Configuration: maxBatchEvents is invalid, expected an integer from 1 to 100 (actual: 500)',
    );
  });
});

describe('a process that logs and exits normally', () => {
  const fixture = fileURLToPath(new URL('./fixtures/log-and-exit.mjs', import.meta.url));

  it('installs no process hook unless flushOnExit asks for one', async () => {
    const before = process.listenerCount('beforeExit');
    const plain = new AuditLakeTransport({ channelArn: CHANNEL_ARN, send: async () => ({ successful: [], failed: [] }) });
    expect(process.listenerCount('beforeExit')).toBe(before);
    const opted = new AuditLakeTransport({ channelArn: CHANNEL_ARN, send: async () => ({ successful: [], failed: [] }), flushOnExit: true });
    expect(process.listenerCount('beforeExit')).toBe(before + 1);
    await new Promise<void>((resolve) => opted.end(resolve));
    expect(process.listenerCount('beforeExit')).toBe(before);
    await plain.sink.shutdown();
  });

  it('with flushOnExit, delivers everything it logged without flush or end, and then exits', async () => {
    const lake = await startFakeLake();
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-winston-'));
    try {
      const started = Date.now();
      const child = spawn(process.execPath, [fixture, '120'], {
        cwd: dir,
        env: { ...process.env, AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AUDITLAKE_ENDPOINT: lake.endpoint, AUDITLAKE_DEAD_LETTER: join(dir, 'dead.jsonl') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const elapsed = Date.now() - started;
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(lake.events).toHaveLength(120);
      expect(lake.events.every((e) => e.eventSource === 'exit-test' && e.userIdentity.principalId === 'exit-user')).toBe(true);
      expect(lake.requests).toEqual([{ channelArn: CHANNEL_ARN, count: 100 }, { channelArn: CHANNEL_ARN, count: 20 }]);
      expect(existsSync(join(dir, 'dead.jsonl')) ? readFileSync(join(dir, 'dead.jsonl'), 'utf8') : '').toBe('');
      // Nothing (timer, socket) kept it alive after delivery.
      expect(elapsed).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await lake.close();
    }
  });
});
