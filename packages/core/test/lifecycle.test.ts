import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// These run the built package in a fresh Node process, because what is being tested is
// whether the process exits (or stays) on its own.
const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function run(body: string) {
  const script = `
    import { createAuditSink } from ${JSON.stringify(core)};
    const record = (n) => ({ attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' + n } } } });
    const accept = async (input) => ({ successful: input.auditEvents.map((e) => ({ id: e.id, eventID: 'x' })), failed: [] });
    const quiet = { debug() {}, warn() {}, error() {} };
    ${body}
  `;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { ...result, ms: Date.now() - started };
}

describe('process lifecycle', () => {
  it('timers never keep a process alive (the flush timer is unref’d)', () => {
    const result = run(`
      const sink = createAuditSink({ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c', send: accept, flushIntervalMs: 60_000, diagnostics: quiet, deadLetter: () => {}, persistOnExit: false });
      for (let i = 0; i < 5; i++) sink.add(record(i));
      console.log('queued', sink.stats().queuedEvents);
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('queued 5');
    expect(result.status).toBe(0);
    expect(result.ms).toBeLessThan(10_000); // it would sit for 60 s otherwise
  });

  it('an awaited shutdown() keeps the process alive through retry backoffs until delivery', () => {
    const result = run(`
      let calls = 0;
      const send = async (input) => {
        if (++calls <= 2) throw Object.assign(new Error('unavailable'), { errorCode: 'ServiceUnavailable', statusCode: 503 });
        return accept(input);
      };
      const sink = createAuditSink({ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c', send, retryBaseDelayMs: 400, diagnostics: quiet, deadLetter: () => {} });
      sink.add(record(1));
      await sink.shutdown();
      const { delivered, requests } = sink.stats();
      console.log(JSON.stringify({ delivered, requests }));
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ delivered: 1, requests: 3 });
    expect(result.status).toBe(0);
  });

  it('an awaited flush() keeps the process alive through retry backoffs until delivery', () => {
    const result = run(`
      let calls = 0;
      const send = async (input) => {
        if (++calls <= 2) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return accept(input);
      };
      const sink = createAuditSink({ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c', send, retryBaseDelayMs: 400, diagnostics: quiet, deadLetter: () => {} });
      sink.add(record(1));
      await sink.flush();
      console.log(JSON.stringify(sink.stats().delivered));
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('1');
    expect(result.status).toBe(0);
  });

  it('installs no process hooks', () => {
    const result = run(`
      const events = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection'];
      const before = events.map((e) => process.listenerCount(e));
      const sink = createAuditSink({ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c', send: accept, diagnostics: quiet, deadLetter: () => {} });
      sink.add(record(1));
      await sink.flush();
      await sink.shutdown();
      console.log(JSON.stringify(before) === JSON.stringify(events.map((e) => process.listenerCount(e))));
    `);
    expect(result.stdout.trim()).toBe('true');
  });
});
