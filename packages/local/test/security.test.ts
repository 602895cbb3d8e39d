import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailClient, ListChannelsCommand } from '@aws-sdk/client-cloudtrail';
import { createPutAuditEventsClient } from '@auditlake/core';
import { resolveLocalLakeOptions, verifySigV4, type LocalLake } from '../src/index.js';
import { ACCOUNT, auditEvent, controlRaw, eventData, lake, putRaw, quiet, signedControl, signedRequest } from './helpers.js';

// Each case reproduces a finding of issue 9 (it failed before the fix) and pins the answer.

const STRANGER = { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'stranger-secret', accountId: '111122223333' };

describe('X-Amz-Target', () => {
  let l: LocalLake;
  beforeAll(async () => {
    l = await lake();
  });

  it('built-in property names are unknown operations, never internal state or a 500', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
      const response = await controlRaw(l.endpoint, name, {});
      expect({ name, status: response.status, type: response.json.__type }).toEqual({ name, status: 400, type: 'UnsupportedOperationException' });
      expect(response.text).not.toContain(l.dataDir);
    }
  });

  it('strict mode: the target must be signed, so a captured signature cannot be replayed as another call', async () => {
    const strict = await lake({ strictAuth: true });
    const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'cloudtrail-data:PutAuditEvents', Resource: strict.channelArn, Condition: { StringEquals: { 'cloudtrail:ExternalId': 'ext' } } }] });
    expect((await signedControl(strict.endpoint, strict.credentials, 'PutResourcePolicy', { ResourceArn: strict.channelArn, ResourcePolicy: policy })).status).toBe(200);

    const unsigned = await signedControl(strict.endpoint, strict.credentials, 'DeleteResourcePolicy', { ResourceArn: strict.channelArn }, { unsigned: ['x-amz-target'] });
    expect([unsigned.status, unsigned.json.__type, unsigned.json.message]).toEqual([403, 'InvalidSignatureException', "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."]);

    const replayed = await signedControl(strict.endpoint, strict.credentials, 'GetResourcePolicy', { ResourceArn: strict.channelArn }, {
      afterSigning: (headers) => (headers['x-amz-target'] = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteResourcePolicy'),
    });
    expect([replayed.status, replayed.json.__type]).toEqual([403, 'InvalidSignatureException']);
    expect((await signedControl(strict.endpoint, strict.credentials, 'GetResourcePolicy', { ResourceArn: strict.channelArn })).json.ResourcePolicy).toBe(policy);
  });
});

describe('strict mode authorizes as the service does', () => {
  let l: LocalLake;
  let policy: string;
  beforeAll(async () => {
    l = await lake({ strictAuth: true, credentials: [STRANGER] });
    policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'cloudtrail-data:PutAuditEvents', Resource: l.channelArn, Condition: { StringEquals: { 'cloudtrail:ExternalId': 'owner-ext' } } }] });
    expect((await signedControl(l.endpoint, l.credentials, 'PutResourcePolicy', { ResourceArn: l.channelArn, ResourcePolicy: policy })).status).toBe(200);
  });

  it("another account's key can neither manage nor query the lake: AccessDeniedException", async () => {
    const calls: [string, unknown][] = [
      ['DeleteResourcePolicy', { ResourceArn: l.channelArn }],
      ['PutResourcePolicy', { ResourceArn: l.channelArn, ResourcePolicy: policy.replace('owner-ext', 'mine') }],
      ['GetResourcePolicy', { ResourceArn: l.channelArn }],
      ['CreateEventDataStore', { Name: 'stranger-store' }],
      ['CreateChannel', { Name: 'stranger-channel', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: l.eventDataStoreArn }] }],
      ['ListChannels', {}],
      ['ListEventDataStores', {}],
      ['StartQuery', { QueryStatement: `SELECT * FROM ${l.eventDataStoreId}` }],
    ];
    for (const [operation, input] of calls) {
      const response = await signedControl(l.endpoint, STRANGER, operation, input);
      expect({ operation, status: response.status, type: response.json.__type }).toEqual({ operation, status: 400, type: 'AccessDeniedException' });
      expect(response.json.message).toContain(`Account 111122223333 is not authorized to perform: cloudtrail:${operation}`);
    }
    // Nothing changed: the owner's policy (with its external-id condition) still stands.
    expect((await signedControl(l.endpoint, l.credentials, 'GetResourcePolicy', { ResourceArn: l.channelArn })).json.ResourcePolicy).toBe(policy);
    const stores = await signedControl(l.endpoint, l.credentials, 'ListEventDataStores', {});
    expect((stores.json.EventDataStores as { Name: string }[]).map((s) => s.Name)).toEqual(['auditlake-local']);
  });

  it('PutAuditEvents: only the principals the policy allows, with its external id', async () => {
    const stranger = createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: STRANGER });
    await expect(stranger.send({ channelArn: l.channelArn, externalId: 'owner-ext', auditEvents: [auditEvent('s-1')] })).rejects.toMatchObject({ errorCode: 'ChannelInsufficientPermission' });
    stranger.destroy();
    const owner = createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials });
    await expect(owner.send({ channelArn: l.channelArn, auditEvents: [auditEvent('o-1')] })).rejects.toMatchObject({ errorCode: 'ChannelInsufficientPermission' });
    expect((await owner.send({ channelArn: l.channelArn, externalId: 'owner-ext', auditEvents: [auditEvent('o-1')] })).successful).toHaveLength(1);
    owner.destroy();
  });

  it('the official SDK sees AccessDeniedException by name', async () => {
    const client = new CloudTrailClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: STRANGER, maxAttempts: 1 });
    await expect(client.send(new ListChannelsCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });
});

/** A raw request with any Host header (fetch does not let a caller set one). */
function withHost(endpoint: string, host: string, path = '/health'): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Host header (DNS rebinding)', () => {
  it('only names of this lake pass; a foreign name is refused, once reported', async () => {
    const warnings: string[] = [];
    const l = await lake({ allowedHosts: ['lake.internal'], diagnostics: { ...quiet, warn: (m: string) => void warnings.push(m) } });
    const port = new URL(l.endpoint).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `api.localhost:${port}`, `lake.internal:${port}`, 'LAKE.INTERNAL.']) {
      expect({ host, status: (await withHost(l.endpoint, host)).status }).toEqual({ host, status: 200 });
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `localhost.evil.example`]) {
      const refused = await withHost(l.endpoint, host);
      expect({ host, status: refused.status }).toEqual({ host, status: 403 });
      expect(JSON.parse(refused.body)).toMatchObject({ __type: 'InvalidHostHeaderException' });
    }
    const put = await withHost(l.endpoint, 'evil.example', `/PutAuditEvents?channelArn=${encodeURIComponent(l.channelArn)}`);
    expect(put.status).toBe(403);
    expect(warnings.filter((w) => w.includes('Host header'))).toHaveLength(1);
  });

  it("allowedHosts ['*'] turns the check off", async () => {
    const l = await lake({ allowedHosts: ['*'] });
    expect((await withHost(l.endpoint, 'anything.example')).status).toBe(200);
  });
});

describe('eventData that readers would read differently', () => {
  let l: LocalLake;
  beforeAll(async () => {
    l = await lake();
  });

  it('a repeated key is InvalidData naming the key; nothing of it is stored', async () => {
    const valid = JSON.stringify(eventData({ UID: 'dup' }));
    const cases: Record<string, string> = {
      'long-name': valid.replace('"eventName":"Login"', `"eventName":"${'x'.repeat(5000)}","eventName":"Login"`),
      'bad-time': valid.replace('"eventTime":"2022-09-25T10:00:00Z"', '"eventTime":"not a time","eventTime":"2022-09-25T10:00:00Z"'),
      'escaped-twin': valid.replace('"eventName":"Login"', '"eventName":"Login","eventN\\u0061me":"DeleteEverything"'),
      nested: valid.replace('"principalId":"alice"', '"principalId":"mallory","principalId":"alice"'),
      'in-a-map': valid.replace('"UID":"dup"', '"UID":"dup","requestParameters":{"a":{"b":1,"b":2}}'),
    };
    const events = Object.entries(cases).map(([id, text]) => ({ id, eventData: text }));
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
    expect(response.status).toBe(200);
    expect(response.json.successful).toEqual([]);
    const failed = Object.fromEntries((response.json.failed as { id: string; errorCode: string; errorMessage: string }[]).map((f) => [f.id, [f.errorCode, f.errorMessage]]));
    expect(failed).toEqual({
      'long-name': ['InvalidData', expect.stringMatching(/^eventData has the key "eventName" twice in \$; keys must be unique/) as unknown],
      'bad-time': ['InvalidData', expect.stringContaining('"eventTime" twice in $') as unknown],
      'escaped-twin': ['InvalidData', expect.stringContaining('"eventName" twice in $') as unknown],
      nested: ['InvalidData', expect.stringContaining('"principalId" twice in $.userIdentity') as unknown],
      'in-a-map': ['InvalidData', expect.stringContaining('"b" twice in $.requestParameters.a') as unknown],
    });
    expect(await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.UID = 'dup'`)).toEqual([{ n: 0 }]);
  });

  it('eventData nested deeper than 64 levels is InvalidData; a request body that deep is SerializationException; the lake serves on', async () => {
    const deep = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    const text = JSON.stringify(eventData({ UID: 'deep' })).replace('"UID":"deep"', `"UID":"deep","requestParameters":${deep}`);
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [{ id: 'deep', eventData: text }] } });
    expect(response.json.failed).toEqual([{ id: 'deep', errorCode: 'InvalidData', errorMessage: 'eventData nests deeper than 64 levels' }]);
    const body = await putRaw(l.endpoint, { channelArn: l.channelArn, body: undefined, rawBody: `{"auditEvents":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}` });
    expect([body.status, body.json.__type]).toEqual([400, 'SerializationException']);
    expect((await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('after-deep')] } })).status).toBe(200);
  });
});

describe('CreateEventDataStore with selectors nested 200,000 deep', () => {
  it('is refused cleanly, and later catalog writes still work', async () => {
    const l = await lake();
    const nested = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const response = await fetch(`${l.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.CreateEventDataStore' },
      body: `{"Name":"deep","AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["ActivityAuditLog"],"Deep":${nested}}]}]}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('SerializationException');
    // Members the model does not have are not kept, however they nest.
    const shallow = await controlRaw(l.endpoint, 'CreateEventDataStore', {
      Name: 'extra-members',
      AdvancedEventSelectors: [{ Name: 's', Extra: { a: { b: { c: 1 } } }, FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'], Extra: [[[1]]] }] }],
    });
    expect(shallow.json.AdvancedEventSelectors).toEqual([{ Name: 's', FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }]);
    const channel = await controlRaw(l.endpoint, 'CreateChannel', { Name: 'after-deep', Source: 'Custom', Destinations: [{ Type: 'EVENT_DATA_STORE', Location: shallow.json.EventDataStoreArn }] });
    expect(channel.status).toBe(200);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${l.dataDir}/catalog.json`, 'utf8')).toContain('after-deep');
  });

  it('selectors break the model: InvalidEventSelectorsException', async () => {
    const l = await lake();
    for (const selectors of [
      [{ FieldSelectors: [{ Field: 'eventCategory', Equals: [{ nested: true }] }] }],
      [{ FieldSelectors: [{ Field: 'event Category', Equals: ['x'] }] }],
      [{ FieldSelectors: [{ Field: 'eventCategory', Equals: [] }] }],
      Array.from({ length: 6 }, () => ({ FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] })),
    ]) {
      const response = await controlRaw(l.endpoint, 'CreateEventDataStore', { Name: 'bad-selectors', AdvancedEventSelectors: selectors });
      expect(response.json.__type).toBe('InvalidEventSelectorsException');
    }
  });
});

describe('secrets stay out of errors and logs', () => {
  it('a configuration error names the credential without its secret or token', () => {
    const secretAccessKey = 'TOP-SECRET-KEY-0123456789';
    let message = '';
    try {
      resolveLocalLakeOptions({ credentials: [{ accessKeyId: '', secretAccessKey, sessionToken: 'TOKEN-SECRET' }] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Configuration: credentials\[0\] is invalid/);
    expect(message).not.toContain(secretAccessKey);
    expect(message).not.toContain('TOKEN-SECRET');
    expect(() => resolveLocalLakeOptions({ credentials: { accessKeyId: 'a', secretAccessKey } as never })).toThrow(/credentials is invalid/);
    try {
      resolveLocalLakeOptions({ credentials: { accessKeyId: 'a', secretAccessKey } as never });
    } catch (error) {
      expect((error as Error).message).not.toContain(secretAccessKey);
    }
  });

  it('a malformed Authorization header is not echoed back', async () => {
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=nothex-secret-looking';
    const result = await verifySigV4({ method: 'POST', url: '/', headers: { authorization, host: 'x', 'x-amz-date': '20240101T000000Z' } }, '', () => 'secret');
    expect(result).toMatchObject({ ok: false, code: 'IncompleteSignatureException' });
    expect(JSON.stringify(result)).not.toContain('nothex-secret-looking');
    const strict = await lake({ strictAuth: true });
    const response = await fetch(`${strict.endpoint}/`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-amz-json-1.1', 'x-amz-date': '20240101T000000Z' }, body: '{}' });
    expect(await response.text()).not.toContain('nothex-secret-looking');
  });
});

describe('binding beyond this machine', () => {
  it('without strict auth, a loud warning at start; with it, none', async () => {
    const warnings: string[] = [];
    const diagnostics = { ...quiet, warn: (m: string) => void warnings.push(m) };
    await lake({ host: '0.0.0.0', diagnostics });
    expect(warnings.join('\n')).toMatch(/WARNING: the lake listens on 0\.0\.0\.0, beyond this machine, WITHOUT authentication/);
    warnings.length = 0;
    await lake({ host: '0.0.0.0', strictAuth: true, diagnostics });
    await lake({ host: 'localhost', diagnostics });
    expect(warnings).toEqual([]);
  });
});

describe('signed PutAuditEvents through the test signer', () => {
  it('the signer helper itself produces requests the lake accepts (so the refusals above are meaningful)', async () => {
    const l = await lake({ strictAuth: true });
    const response = await signedRequest(l.endpoint, {
      credentials: l.credentials,
      service: 'cloudtrail-data',
      path: '/PutAuditEvents',
      query: { channelArn: l.channelArn },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auditEvents: [auditEvent('signed-1')] }),
    });
    expect(response.status).toBe(200);
    expect((await signedControl(l.endpoint, l.credentials, 'ListChannels', {})).status).toBe(200);
  });
});
