/**
 * Signed JSON requests to an AWS service over Node's http(s), with SigV4. This is the only file
 * that imports the AWS and Smithy building blocks: they move between packages, and one file keeps
 * that contained. It sends one request per call and never retries: retries are the engine's
 * single retry layer.
 */
import { hash } from 'node:crypto';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsRequestError } from '../errors.js';
import { environmentCredentials, memoizeCredentials, type AwsCredentials, type AwsCredentialsProvider } from './credentials.js';
import type { Env } from './proxy.js';
import { createRoute, type Route } from './route.js';

export interface AwsHttpClientOptions {
  /** SigV4 signing name: `cloudtrail-data`, `logs`. */
  service: string;
  region: string;
  /** Base URL, e.g. `https://cloudtrail-data.us-east-1.amazonaws.com`. */
  endpoint: string;
  /** Static credentials or a provider. @default the AWS SDK's Node default provider chain */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** Per-request time limit, from the first byte sent to the last byte received; also bounds a credentials fetch. */
  requestTimeoutMs: number;
  /** Keep-alive sockets per host. */
  maxSockets: number;
  /**
   * An agent of your own (a proxy agent of another package, a custom TLS setup), matching the
   * endpoint's protocol. `maxSockets`, `proxy` and the proxy variables are then not used.
   */
  agent?: HttpAgent;
  /**
   * The proxy for every request, loopback endpoints included: an `http://` or `https://` URL,
   * credentials in it as `http://user:password@host:port`; `false` for none, whatever the
   * environment says. @default from `env`: `https_proxy`/`HTTPS_PROXY` (https endpoints) or
   * `http_proxy`/`HTTP_PROXY` (http endpoints), except for `no_proxy`/`NO_PROXY` matches and
   * loopback endpoints
   */
  proxy?: string | false;
  /** Where the proxy variables are read. @default process.env */
  env?: Env;
}

/** A signed request, exactly as it goes on the wire. */
export interface SignedRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawResponse {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface AwsHttpClient {
  /** Builds and signs a POST of `body` to `path` (query parameters signed too). */
  prepare(path: string, query: Record<string, string>, headers: Record<string, string>, body: Buffer): Promise<SignedRequest>;
  /** Sends a signed request; rejects with an `AwsRequestError` for network failures and timeouts (not for HTTP statuses). */
  exchange(request: SignedRequest, abortSignal?: AbortSignal): Promise<RawResponse>;
  /** Closes idle keep-alive sockets. Requests still in flight finish. */
  destroy(): void;
}

/** Responses larger than this are cut off: the responses we read are a few kB. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function createAwsHttpClient(options: AwsHttpClientOptions): AwsHttpClient {
  const base = new URL(options.endpoint);
  const route = createRoute(base, options);
  const agent = route.agent;
  const prefix = base.pathname.replace(/\/+$/, '');
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: memoizeCredentials(options.credentials ?? defaultCredentialsProvider(), options.requestTimeoutMs),
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: true,
  });

  return {
    async prepare(path, query, headers, body) {
      const fullPath = `${prefix}${path}`;
      const unsigned = new HttpRequest({
        method: 'POST',
        protocol: base.protocol,
        hostname: base.hostname,
        ...(base.port ? { port: Number(base.port) } : {}),
        path: fullPath,
        query,
        headers: {
          host: base.host,
          'content-length': String(body.length),
          // One native hash of the bytes; the signer takes the payload hash from this header.
          'x-amz-content-sha256': hash('sha256', body, 'hex'),
          ...headers,
        },
        body,
      });
      let signed;
      try {
        signed = await signer.sign(unsigned);
      } catch (error) {
        if (error instanceof AwsRequestError) throw error;
        throw new AwsRequestError(`cannot sign the request: ${errorMessage(error)}`, { errorCode: errorName(error, 'CredentialsProviderError'), cause: error });
      }
      const search = queryString(query);
      return { method: 'POST', url: `${base.origin}${fullPath}${search ? `?${search}` : ''}`, headers: signed.headers, body };
    },
    exchange(signed, abortSignal) {
      return exchange(route, signed, options.requestTimeoutMs, abortSignal);
    },
    destroy() {
      agent.destroy();
    },
  };
}

/** RFC 3986 escaping, as the SDKs and the SigV4 canonical query use it. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function queryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${escapeUri(key)}=${escapeUri(query[key] as string)}`)
    .join('&');
}

function exchange(route: Route, signed: SignedRequest, timeoutMs: number, abortSignal: AbortSignal | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(response as RawResponse);
    };
    const url = new URL(signed.url);
    const { agent, send, forward, via } = route;
    const req = forward
      ? send({
        agent,
        hostname: forward.proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: forward.proxy.port,
        ...(forward.proxy.protocol === 'https:' ? { servername: forward.proxy.hostname } : {}),
        path: signed.url,
        method: 'POST',
        headers: forward.authorization ? { ...signed.headers, 'proxy-authorization': forward.authorization } : signed.headers,
      })
      : send({ agent, protocol: url.protocol, hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST', headers: signed.headers });
    const timer = setTimeout(() => {
      const error = new AwsRequestError(`no complete response within ${timeoutMs} ms`, { errorCode: 'TimeoutError' });
      req.destroy(error);
      finish(error);
    }, timeoutMs);
    timer.unref();
    const onAbort = () => {
      const reason: unknown = abortSignal?.reason;
      req.destroy();
      finish(reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError'));
    };
    if (abortSignal?.aborted) return onAbort();
    abortSignal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error: NodeJS.ErrnoException) => {
      // The tunnel's own failures (a refused CONNECT) come already described.
      if (error instanceof AwsRequestError) {
        const { errorCode, statusCode } = error;
        finish(new AwsRequestError(`request to ${url.host}${via} failed: ${error.message}`, { errorCode, ...(statusCode === undefined ? {} : { statusCode }), cause: error }));
      } else {
        finish(new AwsRequestError(describeNetworkError(error, `request to ${url.host}${via} failed`, via), { errorCode: error.code ?? error.name, cause: error }));
      }
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      response.on('error', (error: NodeJS.ErrnoException) => {
        finish(new AwsRequestError(describeNetworkError(error, `response from ${url.host}${via} failed`, via), { errorCode: error.code ?? error.name, cause: error }));
      });
      response.on('end', () => {
        finish(undefined, { statusCode: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(signed.body);
  });
}

/** `ECONNREFUSED 127.0.0.1:1`, `ECONNRESET: response from host failed: socket hang up`: the code first, so causes read alike in every message. */
function describeNetworkError(error: NodeJS.ErrnoException & { address?: string; port?: number }, what: string, via: string): string {
  if (error.code && error.address) return `${error.code} ${error.address}${error.port ? `:${error.port}` : ''}${via}`;
  return `${error.code ?? error.name}: ${what}: ${error.message}`;
}

/** An error response: the service's error name (`x-amzn-ErrorType`, the body's `code` or `__type`, reduced to the bare name), its message and its delay. */
export function readErrorResponse(response: RawResponse): AwsRequestError {
  const { statusCode, headers } = response;
  let json: unknown;
  try {
    json = response.body.length > 0 ? JSON.parse(response.body) : {};
  } catch {
    json = undefined;
  }
  const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const bodyCode = Object.keys(body).find((key) => key.toLowerCase() === 'code');
  const rawCode = header(headers, 'x-amzn-errortype') ?? (bodyCode ? body[bodyCode] : undefined) ?? body.__type;
  if (statusCode === 407 && rawCode === undefined) {
    // Only a proxy answers 407: an HTTP endpoint's proxy that wants credentials.
    return new AwsRequestError('the proxy wants credentials (HTTP 407): give them in the proxy URL, http://user:password@host:port', {
      errorCode: 'ProxyAuthenticationRequired',
      statusCode,
    });
  }
  const errorCode = typeof rawCode === 'string' && rawCode.length > 0 ? bareErrorName(rawCode) : `Http${statusCode}`;
  const message = body.message ?? body.Message;
  return new AwsRequestError(typeof message === 'string' && message.length > 0 ? message : `HTTP ${statusCode} ${errorCode}`, {
    errorCode,
    statusCode,
    requestId: requestIdOf(response),
    retryAfterMs: retryAfter(headers),
  });
}

export function requestIdOf(response: RawResponse): string | undefined {
  return header(response.headers, 'x-amzn-requestid') ?? header(response.headers, 'x-amz-request-id');
}

/** Error names as the AWS protocols write them: the part before `:` and `,`, after `#`. */
function bareErrorName(raw: string): string {
  const name = raw.split(',')[0]?.split(':')[0] ?? raw;
  return name.slice(name.lastIndexOf('#') + 1).trim();
}

function retryAfter(headers: IncomingMessage['headers']): number | undefined {
  const amz = Number(header(headers, 'x-amz-retry-after'));
  if (Number.isFinite(amz) && amz >= 0) return amz;
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorName(error: unknown, fallback: string): string {
  return error instanceof Error && error.name !== 'Error' ? error.name : fallback;
}

/**
 * The AWS SDK's Node default chain (env, SSO, ini, process, web identity, ECS, IMDS), loaded on
 * first use; its first link, the environment's keys, is read without loading it (importing the
 * chain costs about 45 ms of CPU, in the middle of the first burst).
 */
function defaultCredentialsProvider(): AwsCredentialsProvider {
  let chain: AwsCredentialsProvider | undefined;
  return async () => {
    const fromEnvironment = environmentCredentials();
    if (fromEnvironment) return fromEnvironment;
    if (!chain) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain();
    }
    return chain();
  };
}
