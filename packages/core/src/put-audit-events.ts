/**
 * The PutAuditEvents client: restJson1 over Node's http(s), signed with SigV4 (`cloudtrail-data`).
 * This is the only file that imports the AWS and Smithy building blocks; they move between
 * packages, and one file keeps that contained. It sends one request per call and never
 * retries: retries are the sink's single retry layer.
 */
import { hash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AuditEvent } from './audit-event.js';
import { PutAuditEventsError } from './errors.js';

export interface PutAuditEventsInput {
  /** The channel's ARN. */
  channelArn: string;
  /** Required when the channel's resource policy has an external-id condition. */
  externalId?: string;
  /** 1–100 events. */
  auditEvents: AuditEvent[];
}

export interface PutAuditEventsOutput {
  successful: { id: string; eventID: string }[];
  failed: { id: string; errorCode: string; errorMessage: string }[];
}

export interface PutAuditEventsSendOptions {
  /** Aborts the call (timeouts, shutdown). */
  abortSignal?: AbortSignal;
  /**
   * The request body already serialized from `input`: the UTF-8 bytes of what
   * `JSON.stringify({ auditEvents: input.auditEvents })` writes. The sink offers it (built
   * lazily, on first read) so that the built-in client need not serialize again; any other
   * `send` may ignore it at no cost.
   */
  body?: Uint8Array;
}

/**
 * The shape of a PutAuditEvents call. The official client plugs in as
 * `(input, { abortSignal }) => client.send(new PutAuditEventsCommand(input), { abortSignal })`.
 */
export type PutAuditEventsSend = (input: PutAuditEventsInput, options?: PutAuditEventsSendOptions) => Promise<PutAuditEventsOutput>;

/** AWS credentials; the same shape as `AwsCredentialIdentity` of the AWS SDK. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working; they are fetched again 5 minutes before. */
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface PutAuditEventsClientOptions {
  /** Signing region. */
  region: string;
  /** Base URL, e.g. `https://cloudtrail-data.us-east-1.amazonaws.com`. */
  endpoint: string;
  /** Static credentials or a provider. @default the AWS SDK's Node default provider chain */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** Per-request time limit, from the first byte sent to the last byte received. @default 10000 */
  requestTimeoutMs?: number;
  /** Keep-alive sockets per host. @default 50 */
  maxSockets?: number;
}

/** A signed request, exactly as `send` would put it on the wire. */
export interface SignedPutAuditEventsRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface PutAuditEventsClient {
  send: PutAuditEventsSend;
  /** Builds and signs the request without sending it (for inspection, and for benchmarks). */
  prepare(input: PutAuditEventsInput, body?: Uint8Array): Promise<SignedPutAuditEventsRequest>;
  /** Closes idle keep-alive sockets. Requests still in flight finish. */
  destroy(): void;
}

/** Credentials are fetched again this long before they expire. */
export const CREDENTIALS_REFRESH_MS = 5 * 60_000;
/** Responses larger than this are cut off: a PutAuditEvents response is at most ~30 kB. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function createPutAuditEventsClient(options: PutAuditEventsClientOptions): PutAuditEventsClient {
  const url = new URL(options.endpoint);
  const secure = url.protocol === 'https:';
  const agent = new (secure ? HttpsAgent : HttpAgent)({ keepAlive: true, maxSockets: options.maxSockets ?? 50 });
  const send = secure ? httpsRequest : httpRequest;
  const path = `${url.pathname.replace(/\/+$/, '')}/PutAuditEvents`;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const signer = new SignatureV4({
    service: 'cloudtrail-data',
    region: options.region,
    credentials: memoizeCredentials(options.credentials ?? defaultCredentialsProvider()),
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: true,
  });

  const prepare = async (input: PutAuditEventsInput, bytes?: Uint8Array): Promise<SignedPutAuditEventsRequest> => {
    const body = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(JSON.stringify({ auditEvents: input.auditEvents }), 'utf8');
    const query: Record<string, string> = { channelArn: input.channelArn };
    if (input.externalId !== undefined) query.externalId = input.externalId;
    const unsigned = new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path,
      query,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(body.length),
        // One native hash of the bytes; the signer takes the payload hash from this header.
        'x-amz-content-sha256': hash('sha256', body, 'hex'),
      },
      body,
    });
    let signed;
    try {
      signed = await signer.sign(unsigned);
    } catch (error) {
      throw new PutAuditEventsError(`cannot sign the request: ${errorMessage(error)}`, { errorCode: errorName(error, 'CredentialsError'), cause: error });
    }
    return { method: 'POST', url: `${url.origin}${path}?${queryString(query)}`, headers: signed.headers, body };
  };

  return {
    prepare,
    async send(input, { abortSignal, body } = {}) {
      abortSignal?.throwIfAborted();
      const request = await prepare(input, body);
      const response = await exchange(send, {
        agent,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: request.url.slice(url.origin.length),
        method: 'POST',
        headers: request.headers,
        body: request.body,
        timeoutMs,
        abortSignal,
      });
      return parseResponse(response);
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

interface Exchange {
  agent: HttpAgent;
  protocol: string;
  hostname: string;
  port: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  abortSignal: AbortSignal | undefined;
}

interface RawResponse {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function exchange(send: typeof httpRequest, call: Exchange): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.abortSignal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(response as RawResponse);
    };
    const request = send({
      agent: call.agent,
      protocol: call.protocol,
      hostname: call.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: call.port || undefined,
      path: call.path,
      method: call.method,
      headers: call.headers,
    });
    const timer = setTimeout(() => {
      const error = new PutAuditEventsError(`no complete response within ${call.timeoutMs} ms`, { errorCode: 'TimeoutError' });
      request.destroy(error);
      finish(error);
    }, call.timeoutMs);
    timer.unref();
    const onAbort = () => {
      const reason: unknown = call.abortSignal?.reason;
      request.destroy();
      finish(reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError'));
    };
    call.abortSignal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error: NodeJS.ErrnoException) => {
      finish(new PutAuditEventsError(`request failed: ${error.message}`, { errorCode: error.code ?? error.name, cause: error }));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      response.on('error', (error: NodeJS.ErrnoException) => {
        finish(new PutAuditEventsError(`response failed: ${error.message}`, { errorCode: error.code ?? error.name, cause: error }));
      });
      response.on('end', () => {
        finish(undefined, { statusCode: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(call.body);
  });
}

function parseResponse(response: RawResponse): PutAuditEventsOutput {
  const { statusCode, headers } = response;
  const requestId = header(headers, 'x-amzn-requestid') ?? header(headers, 'x-amz-request-id');
  let json: unknown;
  try {
    json = response.body.length > 0 ? JSON.parse(response.body) : {};
  } catch {
    json = undefined;
  }
  if (statusCode >= 200 && statusCode < 300) {
    if (json === undefined || json === null || typeof json !== 'object') {
      throw new PutAuditEventsError(`HTTP ${statusCode} with a body that is not JSON`, { errorCode: 'InvalidResponse', statusCode, requestId });
    }
    const { successful, failed } = json as Partial<PutAuditEventsOutput>;
    return { successful: Array.isArray(successful) ? successful : [], failed: Array.isArray(failed) ? failed : [] };
  }
  const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const bodyCode = Object.keys(body).find((key) => key.toLowerCase() === 'code');
  const rawCode = header(headers, 'x-amzn-errortype') ?? (bodyCode ? body[bodyCode] : undefined) ?? body.__type;
  const errorCode = typeof rawCode === 'string' && rawCode.length > 0 ? sanitizeErrorCode(rawCode) : `Http${statusCode}`;
  const message = body.message ?? body.Message;
  throw new PutAuditEventsError(typeof message === 'string' && message.length > 0 ? message : `HTTP ${statusCode} ${errorCode}`, {
    errorCode,
    statusCode,
    requestId,
    retryAfterMs: retryAfter(headers),
  });
}

/** `aws.protocols#restJson1` error names: the part before `:` and `,`, after `#`. */
function sanitizeErrorCode(raw: string): string {
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
 * Caches credentials and fetches them again `CREDENTIALS_REFRESH_MS` before they expire;
 * concurrent callers share one fetch. Works for any provider, not only the SDK's memoized chain.
 */
export function memoizeCredentials(source: AwsCredentials | AwsCredentialsProvider): AwsCredentialsProvider {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const fresh = (credentials: AwsCredentials) =>
    credentials.expiration === undefined || credentials.expiration.getTime() - Date.now() > CREDENTIALS_REFRESH_MS;
  return () => {
    if (current && fresh(current)) return Promise.resolve(current);
    pending ??= Promise.resolve()
      .then(source)
      .then((credentials) => {
        current = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** The AWS SDK's Node default chain (env, SSO, ini, process, web identity, ECS, IMDS), loaded on first use. */
function defaultCredentialsProvider(): AwsCredentialsProvider {
  let chain: AwsCredentialsProvider | undefined;
  return async () => {
    if (!chain) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain();
    }
    return chain();
  };
}
