import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPutAuditEventsClient } from '@auditlake/core';
import { verifySigV4, type SigV4Request } from '../src/index.js';
import { auditEvent, aws, SKIP_AWS_CLI } from './helpers.js';

// verifySigV4 checked against requests signed by two independent real signers: smithy's
// (through core's client; it signs x-amz-content-sha256) and botocore's (the AWS CLI; it does not).

interface Captured extends SigV4Request {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

const KEY = { accessKeyId: 'AKIDSIGV4TEST', secretAccessKey: 'sigv4-test-secret' };
const CHANNEL = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/4c5f1a36-0b1e-4d2e-9d64-3d5e9d8d6a10';
let server: Server;
let endpoint: string;
const captured: Captured[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      captured.push({ method: req.method as string, url: req.url as string, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      const json = req.url?.startsWith('/PutAuditEvents');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-amz-json-1.1' });
      res.end(json ? '{"successful":[],"failed":[]}' : '{"Channels":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function smithySigned(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = KEY): Promise<Captured> {
  const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint, credentials });
  await client.send({ channelArn: CHANNEL, externalId: 'ext+id/with=chars', auditEvents: [auditEvent('sig-1')] });
  client.destroy();
  return captured.at(-1) as Captured;
}

function requestTime(request: Captured): number {
  const text = request.headers['x-amz-date'] as string;
  return Date.UTC(+text.slice(0, 4), +text.slice(4, 6) - 1, +text.slice(6, 8), +text.slice(9, 11), +text.slice(11, 13), +text.slice(13, 15));
}

const lookup = (id: string) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, accountId: '123456789012' } : undefined);

describe('verifySigV4 with smithy-signed requests (core client)', () => {
  it('accepts a correct signature (x-amz-content-sha256 signed) and reports the key and scope', async () => {
    const request = await smithySigned();
    expect(request.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    const result = await verifySigV4(request, request.body, lookup, { service: 'cloudtrail-data', region: 'us-east-1', now: requestTime(request) });
    expect(result).toMatchObject({ ok: true, accessKeyId: KEY.accessKeyId, accountId: '123456789012', region: 'us-east-1', service: 'cloudtrail-data' });
    // A plain secret string works as the lookup result too.
    expect((await verifySigV4(request, request.body, () => KEY.secretAccessKey, { now: requestTime(request) })).ok).toBe(true);
  });

  it('refuses a wrong secret, an unknown key, a changed body or query, with the AWS error names', async () => {
    const request = await smithySigned();
    const now = requestTime(request);
    expect(await verifySigV4(request, request.body, () => 'not-the-secret', { now })).toMatchObject({ ok: false, code: 'InvalidSignatureException', statusCode: 403 });
    expect(await verifySigV4(request, request.body, () => undefined, { now })).toMatchObject({ ok: false, code: 'UnrecognizedClientException', statusCode: 403 });
    const body = Buffer.from(request.body);
    body[body.length - 3] = 0x20;
    expect(await verifySigV4(request, body, lookup, { now })).toMatchObject({ ok: false, code: 'InvalidSignatureException', message: expect.stringContaining('x-amz-content-sha256') as unknown });
    const otherChannel = { ...request, url: request.url.replace('4c5f1a36', '4c5f1a37') };
    expect(await verifySigV4(otherChannel, request.body, lookup, { now })).toMatchObject({ ok: false, code: 'InvalidSignatureException' });
  });

  it('refuses a request dated more than 15 minutes from now: "Signature expired" / "not yet current"', async () => {
    const request = await smithySigned();
    const now = requestTime(request);
    const late = await verifySigV4(request, request.body, lookup, { now: now + 16 * 60_000 });
    expect(late).toMatchObject({ ok: false, code: 'InvalidSignatureException', statusCode: 403 });
    expect(!late.ok && late.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const early = await verifySigV4(request, request.body, lookup, { now: now - 16 * 60_000 });
    expect(!early.ok && early.message).toMatch(/^Signature not yet current: /);
    expect((await verifySigV4(request, request.body, lookup, { now: now + 14 * 60_000 })).ok).toBe(true);
  });

  it('checks the credential scope against the expected service and region', async () => {
    const request = await smithySigned();
    const now = requestTime(request);
    expect(await verifySigV4(request, request.body, lookup, { now, service: 'cloudtrail' })).toMatchObject({ ok: false, message: expect.stringContaining("correct service: 'cloudtrail'") as unknown });
    expect(await verifySigV4(request, request.body, lookup, { now, region: 'eu-west-1' })).toMatchObject({ ok: false, message: expect.stringContaining('valid region') as unknown });
  });

  it('accepts session tokens, and holds a key to its configured token', async () => {
    const request = await smithySigned({ ...KEY, sessionToken: 'session-token-1' });
    const now = requestTime(request);
    expect(request.headers['x-amz-security-token']).toBe('session-token-1');
    expect((await verifySigV4(request, request.body, lookup, { now })).ok).toBe(true);
    expect((await verifySigV4(request, request.body, () => ({ ...KEY, sessionToken: 'session-token-1' }), { now })).ok).toBe(true);
    expect(await verifySigV4(request, request.body, () => ({ ...KEY, sessionToken: 'other' }), { now })).toMatchObject({ ok: false, code: 'UnrecognizedClientException' });
  });

  it('missing or malformed Authorization', async () => {
    const request = await smithySigned();
    const { authorization: _dropped, ...headers } = request.headers;
    const unsigned = { method: request.method, url: request.url, headers };
    expect(await verifySigV4(unsigned, request.body, lookup)).toMatchObject({ ok: false, code: 'MissingAuthenticationTokenException', statusCode: 403, message: 'Missing Authentication Token' });
    const malformed = { method: request.method, url: request.url, headers: { ...headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudtrail-data/aws4_request' } };
    expect(await verifySigV4(malformed, request.body, lookup)).toMatchObject({ ok: false, code: 'IncompleteSignatureException', message: expect.stringContaining("'SignedHeaders'") as unknown });
  });
});

describe.skipIf(SKIP_AWS_CLI)('verifySigV4 with botocore-signed requests (AWS CLI)', () => {
  it('accepts restJson1 PutAuditEvents (no x-amz-content-sha256) and awsJson1_1 ListChannels', async () => {
    const put = await aws(['cloudtrail-data', 'put-audit-events', '--endpoint-url', endpoint, '--channel-arn', CHANNEL, '--external-id', 'ext:1', '--audit-events', JSON.stringify([auditEvent('cli-sig')])], KEY);
    expect(put.code).toBe(0);
    const request = captured.at(-1) as Captured;
    expect(request.url).toMatch(/^\/PutAuditEvents\?channelArn=arn%3Aaws%3Acloudtrail/);
    expect(request.headers.authorization).not.toMatch(/x-amz-content-sha256/);
    const now = requestTime(request);
    expect(await verifySigV4(request, request.body, lookup, { now, service: 'cloudtrail-data', region: 'us-east-1' })).toMatchObject({ ok: true });
    expect(await verifySigV4(request, Buffer.concat([request.body, Buffer.from(' ')]), lookup, { now })).toMatchObject({ ok: false, code: 'InvalidSignatureException' });

    const list = await aws(['cloudtrail', 'list-channels', '--endpoint-url', endpoint], KEY, 'eu-west-1');
    expect(list.code).toBe(0);
    const control = captured.at(-1) as Captured;
    expect(control.headers['x-amz-target']).toBe('com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListChannels');
    expect(await verifySigV4(control, control.body, lookup, { now: requestTime(control), service: 'cloudtrail', region: 'eu-west-1' })).toMatchObject({ ok: true, region: 'eu-west-1' });
  });
});
