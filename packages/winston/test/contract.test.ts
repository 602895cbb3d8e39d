import { createRequire } from 'node:module';
import { createAuditSink, type AuditSink } from '@auditlake/core';
import winston from 'winston';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLakeTransport } from '../src/index.js';
import { CHANNEL_ARN, deadLetters, quietDiagnostics, recordingSend } from '../../../test/support/adapter-helpers.js';

// winston's own conformance suite for transports (abstract-winston-transport, which winston's
// Stream transport passes), run as it is. It is written for mocha: the globals it calls are
// mapped onto vitest's, and its done-callbacks onto promises.
type Done = (error?: unknown) => void;
type MochaFn = ((done: Done) => void) | (() => unknown);
const promised = (fn: MochaFn) => () =>
  fn.length === 0 ? (fn as () => unknown)() : new Promise<void>((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
const mocha = {
  describe: (name: string, body: () => void) => describe(name, body),
  it: (name: string, fn: MochaFn) => it(name, promised(fn)),
  beforeEach: (fn: MochaFn) => beforeEach(promised(fn)),
  afterEach: (fn: MochaFn) => afterEach(promised(fn)),
  after: (fn: MochaFn) => afterAll(promised(fn)),
};
Object.assign(globalThis, mocha);

const network = recordingSend();
const sinks: AuditSink[] = [];
const runSuite = createRequire(import.meta.url)('abstract-winston-transport') as (options: object) => void;
runSuite({
  name: 'AuditLakeTransport',
  Transport: AuditLakeTransport,
  // A sink per instance, so that the suite's records can be counted and the sink shut down.
  construct: () => {
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, send: network.send, deadLetter: deadLetters().deadLetter, diagnostics: quietDiagnostics().diagnostics });
    sinks.push(sink);
    return { sink };
  },
  afterEach: (_options: object, done: Done) => void Promise.all(sinks.map((sink) => sink.shutdown())).then(() => done(), done),
});

describe('the contract beyond the suite', () => {
  it('takes every record logged without a callback, and emits logged for each', async () => {
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, eventSource: 'contract', send: network.send, deadLetter: deadLetters().deadLetter });
    const transport = new AuditLakeTransport({ sink });
    const logged: object[] = [];
    transport.on('logged', (info: object) => logged.push(info));
    const infos = [1, 2, 3].map((i) => ({ level: 'info', message: `m${i}`, audit: { eventName: 'E', userIdentity: { principalId: `p${i}` } } }));
    for (const info of infos) expect(() => transport.log(info)).not.toThrow();
    // Deferred: no listener runs inside log().
    expect(logged).toEqual([]);
    await sink.shutdown();
    expect(sink.stats()).toMatchObject({ added: 3, delivered: 3 });
    await vi.waitFor(() => expect(logged).toEqual(infos));
  });

  it("emits logged through a real logger, once per record that reaches the transport", async () => {
    const sink = createAuditSink({ channelArn: CHANNEL_ARN, eventSource: 'contract', send: network.send, deadLetter: deadLetters().deadLetter });
    const transport = new AuditLakeTransport({ sink, level: 'info' });
    const logger = winston.createLogger({ transports: [transport] });
    let logged = 0;
    transport.on('logged', () => logged++);
    logger.info('one', { audit: { eventName: 'E', userIdentity: { principalId: 'p' } } });
    logger.debug('below the level');
    logger.warn('plain line');
    await new Promise((resolve) => logger.on('finish', resolve).end());
    await sink.shutdown();
    await vi.waitFor(() => expect(logged).toBe(2));
    expect(sink.stats()).toMatchObject({ added: 2, skipped: 1, delivered: 1 });
  });
});
