import { execFile } from 'node:child_process';
import { Agent as HttpAgent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAuditSink, createPutAuditEventsClient, isAwsRequestError, type AuditSinkOptions, type PutAuditEventsClientOptions } from '../src/index.js';
import { classifyRequestFailure } from '../src/internal.js';
import { isLoopback, matchesNoProxy, proxyFor } from '../src/aws/proxy.js';
import { auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';
import { closeServers, CREDENTIALS, makeCertificates, startLake, startProxy } from './proxy-servers.js';

afterEach(closeServers);

describe('which requests go through a proxy', () => {
  const https = new URL('https://cloudtrail-data.us-east-1.amazonaws.com');
  const http = new URL('http://lake.internal:4599');

  it.each([
    ['HTTPS_PROXY for https', https, { HTTPS_PROXY: 'http://p:3128' }, 'http://p:3128/', 'HTTPS_PROXY'],
    ['https_proxy before HTTPS_PROXY', https, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }, 'http://lower:1/', 'https_proxy'],
    ['HTTP_PROXY is not for https', https, { HTTP_PROXY: 'http://p:3128' }, undefined, undefined],
    ['HTTP_PROXY for http', http, { HTTP_PROXY: 'p:3128' }, 'http://p:3128/', 'HTTP_PROXY'],
    ['an empty variable is unset', https, { https_proxy: ' ', HTTPS_PROXY: 'http://p:1' }, 'http://p:1/', 'HTTPS_PROXY'],
    ['an https proxy', https, { HTTPS_PROXY: 'https://secure-proxy:8443' }, 'https://secure-proxy:8443/', 'HTTPS_PROXY'],
  ])('%s', (_name, target, env, proxy, source) => {
    const route = proxyFor(target, undefined, env);
    expect(route?.url.href).toBe(proxy);
    expect(route?.source).toBe(source);
  });

  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['[::1]', true], ['localhost', true], ['LAKE.localhost', true], ['[::ffff:127.0.0.1]', true],
    ['10.0.0.1', false], ['localhost.example.com', false], ['[::2]', false], ['0.0.0.0', false],
  ])('loopback: %s → %s', (host, expected) => {
    expect(isLoopback(new URL(`http://${host}:1`).hostname)).toBe(expected);
  });

  it('never proxies a loopback endpoint from the environment, but does when the proxy option asks', () => {
    const env = { HTTP_PROXY: 'http://p:1', HTTPS_PROXY: 'http://p:1' };
    expect(proxyFor(new URL('http://127.0.0.1:4599'), undefined, env)).toBeUndefined();
    expect(proxyFor(new URL('https://localhost'), undefined, env)).toBeUndefined();
    expect(proxyFor(new URL('http://127.0.0.1:4599'), 'http://p:2', env)).toEqual({ url: new URL('http://p:2'), source: 'the proxy option' });
    expect(proxyFor(https, false, env)).toBeUndefined();
  });

  it.each([
    ['*', 'https://anything.example', true],
    ['example.com', 'https://example.com', true],
    ['example.com', 'https://api.example.com', true],
    ['example.com', 'https://badexample.com', false],
    ['.example.com', 'https://example.com', false],
    ['.example.com', 'https://api.example.com', true],
    ['*.example.com', 'https://api.example.com', true],
    ['EXAMPLE.com.', 'https://Api.Example.COM', true],
    ['other.org, example.com', 'https://x.example.com', true],
    ['other.org example.com', 'https://x.example.com', true],
    ['example.com:443', 'https://example.com', true],
    ['example.com:8443', 'https://example.com', false],
    ['example.com:8443', 'https://example.com:8443', true],
    ['10.1.2.3', 'http://10.1.2.3:80', true],
    ['10.0.0.0/8', 'http://10.200.3.4', true],
    ['10.0.0.0/8', 'http://11.0.0.1', false],
    ['10.0.0.0/8', 'http://ten.example', false],
    ['2001:db8::/32', 'http://[2001:db8::5]', true],
    ['[2001:db8::5]:8080', 'http://[2001:db8::5]:8080', true],
    ['amazonaws.com', 'https://cloudtrail-data.us-east-1.amazonaws.com', true],
    ['', 'https://example.com', false],
  ])('NO_PROXY %j exempts %s: %s', (noProxy, target, expected) => {
    expect(matchesNoProxy(new URL(target), noProxy)).toBe(expected);
    const env = { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1', NO_PROXY: noProxy };
    expect(proxyFor(new URL(target), undefined, env) === undefined).toBe(expected);
  });

  it('no_proxy (lower case) before NO_PROXY', () => {
    expect(proxyFor(https, undefined, { HTTPS_PROXY: 'http://p:1', no_proxy: 'amazonaws.com', NO_PROXY: 'other.org' })).toBeUndefined();
  });
});

const sinkOptions = (extra: AuditSinkOptions): AuditSinkOptions => ({
  channelArn: CHANNEL_ARN,
  credentials: CREDENTIALS,
  env: {},
  retryDeadlineMs: 0,
  ...extra,
});

async function deliver(options: AuditSinkOptions, count = 3) {
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({ deadLetter: dead.handler, diagnostics: quiet.diagnostics, ...options });
  for (let i = 0; i < count; i++) sink.add(auditRecord(i));
  await sink.flush();
  const stats = sink.stats();
  expectInvariant(stats);
  await sink.shutdown();
  return { stats, dead, quiet };
}

describe('a plain-HTTP endpoint behind a proxy', () => {
  it('goes through HTTP_PROXY with the absolute URL, signed for the endpoint’s host', async () => {
    const lake = await startLake();
    const proxy = await startProxy();
    const endpoint = `http://lake.test:${lake.port}`;
    const { stats } = await deliver(sinkOptions({ endpoint, env: { HTTP_PROXY: proxy.url } }));
    expect(stats.delivered).toBe(3);
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]).toMatchObject({ method: 'POST', authorization: undefined });
    expect(proxy.seen[0]!.target).toMatch(new RegExp(`^http://lake\\.test:${lake.port}/PutAuditEvents\\?channelArn=arn%3Aaws%3Acloudtrail`));
    expect(lake.seen).toEqual([{ host: `lake.test:${lake.port}`, servername: undefined, events: 3, signatureValid: true }]);
  });

  it('a loopback endpoint (the local lake) goes direct, whatever the environment says', async () => {
    const lake = await startLake();
    const proxy = await startProxy();
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url };
    const { stats } = await deliver(sinkOptions({ endpoint: `http://127.0.0.1:${lake.port}`, env }));
    expect(stats.delivered).toBe(3);
    expect(proxy.seen).toEqual([]);
    expect(lake.seen[0]!.signatureValid).toBe(true);
  });

  it('the proxy option sends even a loopback endpoint through the proxy, with its credentials', async () => {
    const lake = await startLake();
    const authorization = `Basic ${Buffer.from('us@er:p:ss wörd').toString('base64')}`;
    const proxy = await startProxy({ authorization });
    const proxyUrl = `http://${encodeURIComponent('us@er')}:${encodeURIComponent('p:ss wörd')}@127.0.0.1:${proxy.port}`;
    const { stats } = await deliver(sinkOptions({ endpoint: `http://127.0.0.1:${lake.port}`, proxy: proxyUrl }));
    expect(stats.delivered).toBe(3);
    expect(proxy.seen.map((seen) => seen.authorization)).toEqual([authorization]);
    expect(lake.seen[0]!.signatureValid).toBe(true);
  });

  it('a proxy that wants credentials is a configuration fault: reported at once, events dead-lettered, not retried', async () => {
    const lake = await startLake();
    const proxy = await startProxy({ authorization: 'Basic c2VjcmV0' });
    const { stats, dead, quiet } = await deliver(sinkOptions({ endpoint: `http://lake.test:${lake.port}`, env: { HTTP_PROXY: proxy.url }, retryDeadlineMs: 60_000 }));
    expect(stats).toMatchObject({ delivered: 0, requests: 1, retried: 0 });
    expect(dead.codes()).toEqual(['ProxyAuthenticationRequired', 'ProxyAuthenticationRequired', 'ProxyAuthenticationRequired']);
    expect(dead.letters[0]!.reason.message).toContain('http://user:password@host:port');
    expect(quiet.at('error').join('\n')).toContain('ProxyAuthenticationRequired');
    expect(lake.seen).toEqual([]);
  });
});

const client = (options: Partial<PutAuditEventsClientOptions>) =>
  createPutAuditEventsClient({ region: 'us-east-1', endpoint: 'https://cloudtrail-data.us-east-1.amazonaws.com', credentials: CREDENTIALS, requestTimeoutMs: 10_000, env: {}, ...options });

async function failure(options: Partial<PutAuditEventsClientOptions>) {
  const c = client(options);
  try {
    await c.send({ channelArn: CHANNEL_ARN, auditEvents: [{ id: 'e1', eventData: '{}' }] });
  } catch (error) {
    if (isAwsRequestError(error)) return { error, failure: classifyRequestFailure(error) };
    throw error;
  } finally {
    c.destroy();
  }
  throw new Error('expected a failure');
}

describe('an HTTPS endpoint behind a proxy: the CONNECT tunnel', () => {
  it.each([
    [407, 'ProxyAuthenticationRequired', { retryable: false, configuration: true }, 'wants credentials'],
    [403, 'ProxyConnectRefused', { retryable: false, configuration: true }, 'refused CONNECT cloudtrail-data.us-east-1.amazonaws.com:443: HTTP 403'],
    [502, 'ProxyConnectFailed', { retryable: true, configuration: false }, 'refused CONNECT cloudtrail-data.us-east-1.amazonaws.com:443: HTTP 502'],
  ])('CONNECT answered %i → %s', async (status, code, classification, message) => {
    const proxy = await startProxy(status === 407 ? { authorization: 'Basic eA==' } : { connectStatus: status });
    const { error, failure: classified } = await failure({ env: { HTTPS_PROXY: proxy.url } });
    expect(error).toMatchObject({ errorCode: code, statusCode: status });
    expect(error.message).toContain(`through the proxy ${proxy.url} (HTTPS_PROXY)`);
    expect(error.message).toContain(message);
    expect(classified).toMatchObject({ code, ...classification });
    expect(proxy.seen).toEqual([{ method: 'CONNECT', target: 'cloudtrail-data.us-east-1.amazonaws.com:443', authorization: undefined }]);
  });

  it('a proxy that is down: a retryable failure that names the proxy', async () => {
    const proxy = await startProxy();
    await closeServers();
    const { error, failure: classified } = await failure({ env: { HTTPS_PROXY: proxy.url } });
    expect(error.errorCode).toBe('ECONNREFUSED');
    expect(error.message).toContain(`cannot reach the proxy ${proxy.url}`);
    expect(classified.retryable).toBe(true);
  });

  it.each([
    ['NO_PROXY', { HTTPS_PROXY: 'proxy', NO_PROXY: 'lake.test' }, undefined],
    ['the proxy option false', { HTTPS_PROXY: 'proxy' }, false as const],
  ])('%s: the request goes direct', async (_name, env, proxySetting) => {
    const proxy = await startProxy();
    const withProxy = { ...env, HTTPS_PROXY: proxy.url };
    // lake.test never resolves (RFC 2606): a direct attempt fails on the name, not at the proxy.
    const { error } = await failure({ endpoint: 'https://lake.test', env: withProxy, ...(proxySetting === undefined ? {} : { proxy: proxySetting }) });
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(error.errorCode);
    expect(error.message).not.toContain('proxy');
    expect(proxy.seen).toEqual([]);
  });
});

const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const certificates = makeCertificates('cloudtrail-data.us-east-1.amazonaws.com');
afterAll(() => certificates?.remove());

describe.skipIf(certificates === undefined)('end to end: a process behind HTTPS_PROXY, trusting a private CA (NODE_EXTRA_CA_CERTS)', () => {
  it('delivers to the real endpoint name through one kept-alive tunnel, TLS and SigV4 intact', async () => {
    const { key, cert, ca } = certificates!;
    const lake = await startLake({ key, cert });
    const proxy = await startProxy({ ports: { 'cloudtrail-data.us-east-1.amazonaws.com': lake.port } });
    const script = `
      import { createAuditSink } from ${JSON.stringify(core)};
      const sink = createAuditSink({ channelArn: ${JSON.stringify(CHANNEL_ARN)}, credentials: ${JSON.stringify(CREDENTIALS)}, deadLetter: () => {} });
      const record = (n) => ({ attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' + n } } } });
      sink.add(record(1));
      await sink.flush();
      sink.add(record(2));
      sink.add(record(3));
      await sink.shutdown();
      console.log(JSON.stringify(sink.stats()));
    `;
    const env = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: ca, HTTPS_PROXY: proxy.url, NO_PROXY: 'example.org' };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toMatchObject({ delivered: 3, requests: 2, deadLettered: { total: 0 } });
    expect(proxy.seen).toEqual([{ method: 'CONNECT', target: 'cloudtrail-data.us-east-1.amazonaws.com:443', authorization: undefined }]);
    expect(lake.seen).toEqual([
      { host: 'cloudtrail-data.us-east-1.amazonaws.com', servername: 'cloudtrail-data.us-east-1.amazonaws.com', events: 1, signatureValid: true },
      { host: 'cloudtrail-data.us-east-1.amazonaws.com', servername: 'cloudtrail-data.us-east-1.amazonaws.com', events: 2, signatureValid: true },
    ]);
  });
});

describe('options', () => {
  it.each([
    [{ proxy: 'ftp://p:21' }, 'Configuration: proxy is invalid, expected an http:// or https:// proxy URL'],
    [{ proxy: 3128 }, 'Configuration: proxy is invalid'],
    [{ agent: { keepAlive: true } }, 'Configuration: agent is invalid, expected an http.Agent or https.Agent'],
    [{ env: { HTTPS_PROXY: 'socks5://p:1080' } }, 'Configuration: HTTPS_PROXY is invalid, expected an http:// or https:// proxy URL'],
  ])('%j is refused at construction', (options, message) => {
    expect(() => createAuditSink(sinkOptions({ deadLetter: () => {}, ...(options as AuditSinkOptions) }))).toThrow(message);
  });

  it('a malformed variable that does not apply is left alone', () => {
    const sink = createAuditSink(sinkOptions({ deadLetter: () => {}, env: { HTTP_PROXY: 'socks5://p:1080' } }));
    return sink.shutdown();
  });

  it('an agent of your own carries the requests (and the proxy variables are not read)', async () => {
    const lake = await startLake();
    const agent = new HttpAgent({ keepAlive: true });
    let connections = 0;
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof createConnection>) => {
      connections++;
      return createConnection(...args);
    };
    const proxy = await startProxy();
    const { stats } = await deliver(sinkOptions({ endpoint: `http://127.0.0.1:${lake.port}`, agent, proxy: proxy.url }));
    expect(stats.delivered).toBe(3);
    expect(connections).toBe(1);
    expect(proxy.seen).toEqual([]);
    agent.destroy();
  });
});
