import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyRequestFailure, environmentCredentials } from '../src/internal.js';
import { createPutAuditEventsClient, isAwsRequestError, AwsRequestError, type AwsCredentials, type PutAuditEventsClient, type PutAuditEventsInput } from '../src/index.js';
import { CHANNEL_ARN } from './helpers.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string; socket: unknown }
type Handler = (request: Seen, response: ServerResponse) => void;

const open: { server: Server; client?: PutAuditEventsClient }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client?.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: req.socket };
      seen.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const entry: { server: Server; client?: PutAuditEventsClient } = { server };
  open.push(entry);
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (options: Partial<Parameters<typeof createPutAuditEventsClient>[0]> = {}) =>
    (entry.client = createPutAuditEventsClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, ...options }));
  return { seen, endpoint, client };
}

const ok: Handler = (req, res) => {
  const { auditEvents } = JSON.parse(req.body) as PutAuditEventsInput;
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' });
  res.end(JSON.stringify({ successful: auditEvents.map((e) => ({ id: e.id, eventID: `ev-${e.id}` })), failed: [] }));
};

const input: PutAuditEventsInput = {
  channelArn: CHANNEL_ARN,
  externalId: 'ext:id/1',
  auditEvents: [{ id: 'a-1', eventData: '{"k":"välue \\"q\\""}', eventDataChecksum: 'c1' }, { id: 'a_2', eventData: '{}' }],
};

async function failure(promise: Promise<unknown>): Promise<AwsRequestError> {
  try {
    await promise;
  } catch (error) {
    if (isAwsRequestError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('the PutAuditEvents request', () => {
  it('is restJson1: POST /PutAuditEvents, RFC 3986 query, JSON body, SigV4 for cloudtrail-data', async () => {
    const { seen, client } = await serve(ok);
    const output = await client().send(input);
    expect(output).toEqual({ successful: [{ id: 'a-1', eventID: 'ev-a-1' }, { id: 'a_2', eventID: 'ev-a_2' }], failed: [] });
    const [request] = seen;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/PutAuditEvents?channelArn=arn%3Aaws%3Acloudtrail%3Aus-east-1%3A123456789012%3Achannel%2F0a1b2c3d-test&externalId=ext%3Aid%2F1');
    expect(request!.body).toBe(JSON.stringify({ auditEvents: input.auditEvents }));
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['content-length']).toBe(String(Buffer.byteLength(request!.body)));
    expect(request!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(request!.body).digest('hex'));
    expect(request!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    const date = request!.headers['x-amz-date']!.slice(0, 8);
    expect(request!.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDTEST/${date}/us-east-1/cloudtrail-data/aws4_request, SignedHeaders=[a-z0-9;-]*host;[a-z0-9;-]*x-amz-date[a-z0-9;-]*, Signature=[0-9a-f]{64}$`),
    );
  });

  it('leaves externalId out when not given, and sends a session token when there is one', async () => {
    const { seen, client } = await serve(ok);
    await client({ credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'TOKEN' } }).send({ channelArn: CHANNEL_ARN, auditEvents: [{ id: 'x', eventData: '{}' }] });
    expect(seen[0]!.url).not.toContain('externalId');
    expect(seen[0]!.headers['x-amz-security-token']).toBe('TOKEN');
  });

  it('keeps a base path of the endpoint', async () => {
    const { seen, endpoint } = await serve(ok);
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: `${endpoint}/lake/`, credentials: { accessKeyId: 'A', secretAccessKey: 'S' } });
    open.at(-1)!.client = client;
    await client.send(input);
    expect(seen[0]!.url.startsWith('/lake/PutAuditEvents?')).toBe(true);
  });

  it('reuses the connection (keep-alive)', async () => {
    const { seen, client } = await serve(ok);
    const c = client();
    await c.send(input);
    await c.send(input);
    await c.send(input);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });
});

describe('errors', () => {
  const reply = (status: number, headers: Record<string, string>, body: string): Handler => (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  it.each([
    ['x-amzn-ErrorType with a URL suffix', reply(400, { 'x-amzn-errortype': 'ChannelNotFound:http://internal.amazon.com/coral/', 'x-amzn-requestid': 'r-9' }, '{"message":"Channel not found"}'), { errorCode: 'ChannelNotFound', statusCode: 400, message: 'Channel not found', requestId: 'r-9', fault: 'client' }],
    ['a namespaced __type in the body', reply(400, {}, '{"__type":"com.amazonaws.cloudtraildata#InvalidChannelARN","Message":"bad arn"}'), { errorCode: 'InvalidChannelARN', message: 'bad arn' }],
    ['a body code', reply(400, {}, '{"code":"DuplicatedAuditEventId"}'), { errorCode: 'DuplicatedAuditEventId' }],
    ['429 with Retry-After in seconds', reply(429, { 'retry-after': '2' }, ''), { errorCode: 'Http429', statusCode: 429, retryAfterMs: 2000 }],
    ['x-amz-retry-after in ms', reply(503, { 'x-amz-retry-after': '1500', 'x-amzn-errortype': 'ServiceUnavailable' }, 'oops'), { errorCode: 'ServiceUnavailable', retryAfterMs: 1500, fault: 'server' }],
    ['a 500 with an HTML body', reply(500, { 'content-type': 'text/html' }, '<html>bad gateway</html>'), { errorCode: 'Http500', statusCode: 500, message: 'HTTP 500 Http500' }],
    ['a 200 that is not JSON', reply(200, {}, 'not json'), { errorCode: 'InvalidResponse', statusCode: 200 }],
  ])('parses %s', async (_name, handler, expected) => {
    const { client } = await serve(handler);
    expect(await failure(client().send(input))).toMatchObject(expected);
  });

  it('treats a 200 without lists as empty lists', async () => {
    const { client } = await serve(reply(200, {}, '{}'));
    expect(await client().send(input)).toEqual({ successful: [], failed: [] });
  });

  it('times out after requestTimeoutMs', async () => {
    const { client } = await serve(() => {});
    const started = Date.now();
    const error = await failure(client({ requestTimeoutMs: 200 }).send(input));
    expect(error.errorCode).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('reports a connection reset', async () => {
    const { client } = await serve((req) => (req.socket as { destroy(): void }).destroy());
    expect((await failure(client().send(input))).errorCode).toBe('ECONNRESET');
  });

  it('reports a refused connection', async () => {
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'A', secretAccessKey: 'S' } });
    expect((await failure(client.send(input))).errorCode).toBe('ECONNREFUSED');
    client.destroy();
  });

  it('stops at once when aborted', async () => {
    const { client } = await serve(() => {});
    const controller = new AbortController();
    const sending = client().send(input, { abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    await expect(sending).rejects.toThrow('stop now');
  });

  it('reports credentials that cannot be loaded as such', async () => {
    const { client } = await serve(ok);
    const error = await failure(client({ credentials: () => Promise.reject(Object.assign(new Error('no creds'), { name: 'CredentialsProviderError' })) }).send(input));
    expect(error.errorCode).toBe('CredentialsProviderError');
  });
});

describe('credentials', () => {
  it('fetches long-lived credentials once, and shares one fetch between concurrent requests', async () => {
    const { client } = await serve(ok);
    let calls = 0;
    const c = client({ credentials: async () => (calls++, { accessKeyId: 'A', secretAccessKey: 'S', expiration: new Date(Date.now() + 3_600_000) }) });
    await Promise.all([c.send(input), c.send(input), c.send(input)]);
    await c.send(input);
    expect(calls).toBe(1);
  });

  it('fetches again before they expire, and signs with the new key', async () => {
    const { seen, client } = await serve(ok);
    let n = 0;
    const c = client({ credentials: async (): Promise<AwsCredentials> => ({ accessKeyId: `KEY${++n}`, secretAccessKey: 'S', expiration: new Date(Date.now() + 60_000) }) });
    await c.send(input);
    await c.send(input);
    expect(seen.map((s) => /Credential=(\w+)\//.exec(s.headers.authorization!)![1])).toEqual(['KEY1', 'KEY2']);
  });

  it('gives up on a provider call that hangs after requestTimeoutMs (retryable), and asks again on the next request', async () => {
    const { seen, client } = await serve(ok);
    let calls = 0;
    const c = client({
      requestTimeoutMs: 200,
      credentials: () => (++calls === 1 ? new Promise<AwsCredentials>(() => {}) : Promise.resolve({ accessKeyId: 'LATER', secretAccessKey: 'S' })),
    });
    const error = await failure(c.send(input));
    expect(error.errorCode).toBe('CredentialsTimeout');
    expect(classifyRequestFailure(error)).toMatchObject({ retryable: true, configuration: false });
    await c.send(input);
    expect(calls).toBe(2);
    expect(seen.map((s) => /Credential=(\w+)\//.exec(s.headers.authorization!)![1])).toEqual(['LATER']);
  });

  it('treats a provider that fails as a configuration fault: reported at once, not retried', async () => {
    const { client } = await serve(ok);
    const error = await failure(client({ credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })) }).send(input));
    expect(classifyRequestFailure(error)).toMatchObject({ retryable: false, configuration: true, code: 'CredentialsProviderError' });
  });

  describe('from the environment, without loading the AWS SDK chain', () => {
    const saved = { ...process.env };
    let isolated: string;
    beforeEach(() => {
      // Nothing but the variables under test can give the SDK's chain credentials here.
      isolated = mkdtempSync(join(tmpdir(), 'auditlake-credentials-'));
      for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
      Object.assign(process.env, { HOME: isolated, AWS_CONFIG_FILE: join(isolated, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(isolated, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true' });
    });
    afterEach(() => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
      rmSync(isolated, { recursive: true, force: true });
    });

    const cases: [string, Record<string, string>][] = [
      ['static keys', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret' }],
      ['keys, session token and expiration', { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token', AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z' }],
      ['keys with AWS_PROFILE set (the chain skips the environment)', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_PROFILE: 'nobody' }],
      ['a key without its secret', { AWS_ACCESS_KEY_ID: 'AKIDENV' }],
      ['an empty key', { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 'env-secret' }],
      ['an empty session token (left out)', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: '' }],
    ];
    it.each(cases)('takes what the SDK chain takes: %s', async (_, env) => {
      Object.assign(process.env, env);
      const ours = environmentCredentials();
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      const theirs = await fromNodeProviderChain()().then(
        (c) => ({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration }),
        () => undefined,
      );
      if (theirs === undefined) expect(ours).toBeUndefined();
      else expect({ sessionToken: undefined, expiration: undefined, ...ours }).toEqual(theirs);
    });

    it('signs with the environment keys when no credentials are given', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' });
      const { seen, client } = await serve(ok);
      await client({ credentials: undefined }).send(input);
      expect(seen[0]?.headers.authorization).toContain('Credential=AKIDFROMENV/');
      expect(seen[0]?.headers['x-amz-security-token']).toBe('env-token');
    });
  });
});
