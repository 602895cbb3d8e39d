import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAuditSink, type DeadLetter } from '@auditlake/core';
import { main, type CliIo } from '../src/cli.js';
import { quiet, tempDir } from './helpers.js';

// `auditlake serve --log-group`: the lake has the group from the start, and the environment it
// prints and writes sends an application to CloudWatch Logs instead of the channel.

/** `auditlake serve` in this process: its output, a wait for a text in it, and a way to stop it. */
function serveInProcess(args: string[]): { until: (text: string) => Promise<string>; stop: () => Promise<number> } {
  let output = '';
  let stopServer: ((signal: string) => void) | undefined;
  const waiters: { text: string; resolve: (output: string) => void }[] = [];
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        output += text;
        for (const waiter of waiters.filter((w) => output.includes(w.text))) waiter.resolve(output);
      },
    },
    stderr: { write: () => undefined },
    stdin: Readable.from(['']),
    env: {},
    onStopSignal: (stop) => (stopServer = stop),
  };
  const done = main(['serve', '--port', '0', '--quiet', ...args], io);
  return {
    until: (text) => (output.includes(text) ? Promise.resolve(output) : new Promise((resolve) => waiters.push({ text, resolve }))),
    stop: async () => {
      stopServer?.('SIGTERM');
      return done;
    },
  };
}

describe('auditlake serve --log-group', () => {
  it('--json: the group is there, env names it (and no channel), and an app sending with that env lands in it', async () => {
    const dir = tempDir();
    const envFile = join(tempDir(), 'lake.env');
    const server = serveInProcess(['--data-dir', dir, '--json', '--log-group', '/served/audit', '--write-env-file', envFile]);
    const info = JSON.parse((await server.until('\n')).split('\n')[0] as string) as { logGroupName: string; channelArn: string; region: string; env: Record<string, string>; credentials: { accessKeyId: string; secretAccessKey: string } };
    try {
      expect(info.logGroupName).toBe('/served/audit');
      expect(info.channelArn).toMatch(/^arn:aws:cloudtrail:/);
      expect(info.env).toMatchObject({ AUDITLAKE_LOG_GROUP: '/served/audit', AWS_REGION: info.region });
      expect(info.env).not.toHaveProperty('AUDITLAKE_CHANNEL_ARN');
      expect(readFileSync(envFile, 'utf8')).toContain('AUDITLAKE_LOG_GROUP=/served/audit\n');

      const letters: DeadLetter[] = [];
      const sink = createAuditSink({ env: info.env, credentials: info.credentials, deadLetter: (letter) => letters.push(letter), diagnostics: quiet });
      sink.add({ attributes: { audit: { eventName: 'Served', eventSource: 'serve.test', userIdentity: { principalId: 'alice' } } } });
      await sink.shutdown();
      expect(letters).toEqual([]);
      expect(sink.stats().delivered).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    let queried = '';
    const io: CliIo = { stdout: { write: (text: string) => (queried += text) }, stderr: { write: () => undefined }, stdin: Readable.from(['']), env: {}, onStopSignal: () => undefined };
    expect(await main(['query', '--data-dir', dir, '--json', 'SELECT message.eventName AS name, message.userIdentity.principalId AS who FROM "/served/audit"'], io)).toBe(0);
    expect(JSON.parse(queried)).toEqual([{ name: 'Served', who: 'alice' }]);
  });

  it('the banner shows the group, the variables to export and a query of it', async () => {
    const dir = tempDir();
    const server = serveInProcess(['--data-dir', dir, '--log-group', '/served/banner']);
    const banner = await server.until('Stop with Ctrl-C.');
    expect(await server.stop()).toBe(0);
    expect(banner).toMatch(/ {2}log group: {9}\/served\/banner \(CloudWatch Logs, same endpoint\)/);
    expect(banner).toMatch(/export AUDITLAKE_ENDPOINT=http:\/\/127\.0\.0\.1:\d+ AUDITLAKE_LOG_GROUP=\/served\/banner AWS_REGION=us-east-1/);
    expect(banner).toContain(`Query: auditlake query 'SELECT message.eventName, count(*) FROM "/served/banner" GROUP BY 1' --data-dir ${dir}`);
  });
});
