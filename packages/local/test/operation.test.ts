import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPutAuditEventsClient } from '@auditlake/core';
import { auditEvent, BIN, controlRaw, exited, lake, putRaw, signedControl, tempDir } from './helpers.js';

/** A request-log sink that lets a test wait for its n-th line. */
function lineCollector(): { sink: (line: string) => void; lines: string[]; until: (count: number) => Promise<string[]> } {
  const lines: string[] = [];
  const waiters: { count: number; resolve: (lines: string[]) => void }[] = [];
  return {
    lines,
    sink: (line) => {
      lines.push(line);
      for (const waiter of waiters.filter((w) => lines.length >= w.count)) waiter.resolve(lines);
    },
    until: (count) => (lines.length >= count ? Promise.resolve(lines) : new Promise((resolve) => waiters.push({ count, resolve }))),
  };
}

describe('request log', () => {
  it('one line per request: time, operation, status, error, events, duration; nothing of the credentials', async () => {
    const log = lineCollector();
    const l = await lake({ quiet: false, requestLog: log.sink, strictAuth: true });
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials });
    await client.send({ channelArn: l.channelArn, auditEvents: [auditEvent('log-1'), auditEvent('log-2'), { id: 'log-3', eventData: '{}' }] });
    client.destroy();
    await signedControl(l.endpoint, l.credentials, 'StartQuery', { QueryStatement: 'DELETE FROM x' });
    await signedControl(l.endpoint, l.credentials, 'ListChannels', {});
    await fetch(`${l.endpoint}/nowhere`, { method: 'POST' });
    await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('unsigned')] } });
    await fetch(`${l.endpoint}/health`);
    const lines = await log.until(6);
    const time = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
    const ms = String.raw`\d+(\.\d)?ms`;
    expect(lines[0]).toMatch(new RegExp(`^${time} PutAuditEvents 200 events=3 failed=1 ${ms}$`));
    expect(lines[1]).toMatch(new RegExp(`^${time} StartQuery 400 InvalidQueryStatementException ${ms}$`));
    expect(lines[2]).toMatch(new RegExp(`^${time} ListChannels 200 ${ms}$`));
    expect(lines[3]).toMatch(new RegExp(`^${time} POST /nowhere 404 UnknownOperationException ${ms}$`));
    expect(lines[4]).toMatch(new RegExp(`^${time} PutAuditEvents 403 MissingAuthenticationTokenException ${ms}$`));
    expect(lines[5]).toMatch(new RegExp(`^${time} Health 200 ${ms}$`));
    for (const line of lines) {
      expect(line).not.toContain(l.credentials.accessKeyId);
      expect(line).not.toContain(l.credentials.secretAccessKey);
    }
  });

  it('what a client sends cannot break a line or forge another', async () => {
    const log = lineCollector();
    const l = await lake({ quiet: false, requestLog: log.sink });
    await fetch(`${l.endpoint}/`, { method: 'POST', headers: { 'x-amz-target': `CloudTrail_20131101.Evil 200 forged\tline ${'x'.repeat(300)}` }, body: '{}' });
    const [line] = await log.until(1);
    expect(line).toMatch(/Z Evil\?200\?forged\?line\?x+… 415 UnsupportedMediaTypeException /);
    expect((line as string).length).toBeLessThan(200);
  });

  it('goes to a stream (stderr by default), and quiet turns it off', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const streamed = await lake({ quiet: false, requestLog: stream });
    await fetch(`${streamed.endpoint}/health`);
    await streamed.close();
    expect(text).toMatch(/ Health 200 .*ms\n$/);

    const log = lineCollector();
    const silent = await lake({ quiet: true, requestLog: log.sink });
    await putRaw(silent.endpoint, { channelArn: silent.channelArn, body: { auditEvents: [auditEvent('q-1')] } });
    await silent.close();
    expect(log.lines).toEqual([]);
  });
});

describe('health', () => {
  it('GET /health answers 200 JSON once the store is open, without credentials even in strict mode', async () => {
    const l = await lake({ strictAuth: true });
    const response = await fetch(`${l.endpoint}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', region: 'us-east-1', accountId: '123456789012' });
    expect((await fetch(`${l.endpoint}/health`, { method: 'HEAD' })).status).toBe(200);
    // Everything else still needs a signature.
    expect((await controlRaw(l.endpoint, 'ListChannels', {})).status).toBe(403);
  });
});

/** Opens a TCP connection and resolves once it is connected (or refused). */
function idle(endpoint: string): Promise<Socket> {
  const url = new URL(endpoint);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

/** A request whose headers are in and whose body is not: the server has begun it once it says 100 Continue. */
function halfSent(endpoint: string, channelArn: string): Promise<Socket> {
  const url = new URL(endpoint);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  socket.write(
    `POST /PutAuditEvents?channelArn=${encodeURIComponent(channelArn)} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`,
  );
  return new Promise((resolve) => socket.once('data', () => resolve(socket)));
}

/** The status line of one request on a new connection. */
function statusOfNewConnection(endpoint: string): Promise<string> {
  const url = new URL(endpoint);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => socket.once('close', () => resolve(text.split('\r\n')[0] ?? '')));
}

describe('connections', () => {
  it('idle connections beyond maxConnections are closed, longest-idle first, so a client still gets in', async () => {
    const l = await lake({ maxConnections: 4 });
    const sockets = await Promise.all(Array.from({ length: 12 }, () => idle(l.endpoint)));
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('through')] } });
    expect(response.status).toBe(200);
    // The eight that came beyond the cap closed the eight oldest, and the request the ninth.
    await Promise.all(sockets.slice(0, 9).map((s) => (s.closed ? Promise.resolve() : new Promise((resolve) => s.once('close', resolve)))));
    expect(sockets.slice(9).map((s) => s.closed)).toEqual([false, false, false]);
    for (const socket of sockets) socket.destroy();
  });

  it('when every connection has a request in flight, a new one is refused with 503 (never an in-flight one)', async () => {
    const l = await lake({ maxConnections: 2 });
    const busy = await Promise.all([halfSent(l.endpoint, l.channelArn), halfSent(l.endpoint, l.channelArn)]);
    expect(await statusOfNewConnection(l.endpoint)).toBe('HTTP/1.1 503 Service Unavailable');
    for (const socket of busy) expect(socket.destroyed).toBe(false);
    for (const socket of busy) socket.destroy();
  });

  it('a connection that sends nothing is closed after idleTimeoutMs', async () => {
    const l = await lake({ idleTimeoutMs: 50 });
    const socket = await idle(l.endpoint);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(socket.destroyed).toBe(true);
  });

  it('300 idle connections against a server with 128 file descriptors do not lock clients out', async () => {
    const dir = tempDir();
    const child = spawn('sh', ['-c', `ulimit -n 128 && exec "${process.execPath}" "${BIN}" serve --port 0 --data-dir "${dir}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => /Stop with Ctrl-C/.test(output) && resolve());
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
    const endpoint = /endpoint:\s+(\S+)/.exec(output)?.[1] as string;
    const channelArn = /channel ARN:\s+(\S+)/.exec(output)?.[1] as string;
    const sockets: Socket[] = [];
    for (let i = 0; i < 300; i++) sockets.push(await idle(endpoint));
    const response = await putRaw(endpoint, { channelArn, body: { auditEvents: [auditEvent('fd-limit')] } });
    expect(response.status).toBe(200);
    for (const socket of sockets) socket.destroy();
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
  }, 60_000);
});
