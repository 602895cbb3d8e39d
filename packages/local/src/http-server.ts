/**
 * The lake's single node:http server: `POST /PutAuditEvents` (restJson1) and `POST /` with
 * `X-Amz-Target` (awsJson1_1). It answers every request, good or bad, and keeps serving:
 * nothing a client sends can take it down.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Diagnostics } from '@auditlake/core';
import { MAX_REQUEST_BODY_BYTES } from '@auditlake/core/internal';
import { AwsServiceError, isAwsServiceError } from './aws-error.js';
import { runControlPlane } from './control-plane.js';
import type { FaultInjector } from './faults.js';
import type { LakeStore } from './lake-store.js';
import { putAuditEvents } from './put-audit-events.js';
import { parseQueryString } from './put-audit-events-request.js';
import type { QueryRegistry } from './query-registry.js';
import { parseSigV4Authorization, verifySigV4, type SigV4Secret } from './sigv4.js';

export interface LakeServerContext {
  store: LakeStore;
  queries: QueryRegistry;
  faults: FaultInjector;
  now: () => number;
  region: string;
  strictAuth: boolean;
  maxClockSkewMs: number;
  /** Secrets by access key id. */
  secrets: ReadonlyMap<string, SigV4Secret>;
  diagnostics: Diagnostics;
}

export interface LakeServer {
  readonly server: Server;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Bodies larger than the PutAuditEvents ceiling are refused with 413. They are read to the end
 * (and discarded) so the client gets the answer instead of a reset, up to this much.
 */
const MAX_DRAINED_BYTES = 16 * 1024 * 1024;

type Protocol = 'rest-json' | 'json-1.1';

export function createLakeServer(context: LakeServerContext): LakeServer {
  const inFlight = new Set<Promise<void>>();
  // Cuts injected latency short at close, so a stopping lake does not wait out its own delays.
  const stopping = new AbortController();
  const server = createServer((req, res) => {
    const handling = handle(context, req, res, stopping.signal).catch((error: unknown) => {
      context.diagnostics.error(`auditlake: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 'rest-json', new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error.', 500));
      } else {
        res.destroy();
      }
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    context.diagnostics.debug(`auditlake: malformed HTTP from a client: ${error.message}`);
    if (socket.writable && error.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    close(graceMs = 5000) {
      closing ??= (async () => {
        stopping.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = delay(graceMs, undefined, { ref: false });
        await Promise.race([Promise.allSettled([...inFlight]), timer]);
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

async function handle(context: LakeServerContext, req: IncomingMessage, res: ServerResponse, stopping: AbortSignal): Promise<void> {
  res.setHeader('x-amzn-RequestId', randomUUID());
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  const route: Protocol | undefined = req.method === 'POST' && path === '/PutAuditEvents' ? 'rest-json' : req.method === 'POST' && path === '/' ? 'json-1.1' : undefined;
  if (route === undefined) {
    req.resume();
    sendError(res, 'rest-json', new AwsServiceError('UnknownOperationException', `No operation at ${req.method ?? '?'} ${path ?? url}.`, 404));
    return;
  }

  if (route === 'rest-json') {
    const latency = context.faults.draw('latency');
    if (latency) {
      const slept = await delay(latency.delayMs, true, { signal: stopping }).catch(() => false);
      if (!slept) {
        req.socket.destroy();
        return;
      }
    }
    if (context.faults.draw('reset')) {
      req.socket.destroy();
      return;
    }
    const throttle = context.faults.draw('throttle');
    if (throttle) {
      req.resume();
      const headers: Record<string, string> = throttle.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(throttle.retryAfterSeconds) };
      sendError(res, route, new AwsServiceError('ThrottlingException', 'Rate exceeded', 429, headers));
      return;
    }
    const serverError = context.faults.draw('serverError');
    if (serverError) {
      req.resume();
      const error =
        serverError.statusCode === 503
          ? new AwsServiceError('ServiceUnavailable', 'The service is unavailable. Please try again later.', 503)
          : new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
      sendError(res, route, error);
      return;
    }
  }

  const body = await readBody(req, MAX_REQUEST_BODY_BYTES);
  if (body === 'aborted') return;
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    sendError(
      res,
      route,
      new AwsServiceError('RequestEntityTooLargeException', `The request body exceeds the limit of ${MAX_REQUEST_BODY_BYTES} bytes (100 events or 1 MB per PutAuditEvents request).`, 413),
    );
    return;
  }

  const caller = await authenticate(context, req, body, route === 'rest-json' ? 'cloudtrail-data' : 'cloudtrail');
  if (isAwsServiceError(caller)) {
    sendError(res, route, caller);
    return;
  }

  try {
    if (route === 'rest-json') {
      const response = await putAuditEvents(context, {
        query: parseQueryString(url),
        body,
        contentType: header(req, 'content-type'),
        callerAccountId: caller.accountId ?? context.store.catalog.accountId,
      });
      if (context.faults.draw('resetAfterStore')) {
        req.socket.destroy();
        return;
      }
      sendJson(res, 200, 'application/json', response);
    } else {
      const contentType = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/x-amz-json-1.1' && contentType !== 'application/x-amz-json-1.0') {
        throw new AwsServiceError('UnsupportedMediaTypeException', `Unsupported Content-Type '${contentType ?? ''}'; the CloudTrail API takes application/x-amz-json-1.1.`, 415);
      }
      const output = await runControlPlane({ store: context.store, queries: context.queries, now: context.now }, header(req, 'x-amz-target'), body);
      sendJson(res, 200, 'application/x-amz-json-1.1', output);
    }
  } catch (error) {
    if (!isAwsServiceError(error)) throw error;
    sendError(res, route, error);
  }
}

/** Who is calling: in strict mode a verified key; otherwise whatever key the request names, if the lake knows it. */
async function authenticate(context: LakeServerContext, req: IncomingMessage, body: Buffer, service: string): Promise<{ accountId: string | undefined } | AwsServiceError> {
  if (!context.strictAuth) {
    const authorization = header(req, 'authorization');
    const parsed = authorization === undefined ? undefined : parseSigV4Authorization(authorization);
    const key = parsed === undefined || typeof parsed === 'string' ? undefined : parsed.accessKeyId;
    return { accountId: key === undefined ? undefined : context.secrets.get(key)?.accountId };
  }
  const result = await verifySigV4(req, body, (accessKeyId) => context.secrets.get(accessKeyId), {
    service,
    region: context.region,
    now: context.now(),
    maxSkewMs: context.maxClockSkewMs,
  });
  if (!result.ok) return new AwsServiceError(result.code, result.message, result.statusCode);
  return { accountId: result.accountId };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(header(req, 'content-length'));
  if (Number.isFinite(declared) && declared > MAX_DRAINED_BYTES) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (value: Buffer | 'too-large' | 'aborted') => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > MAX_DRAINED_BYTES) {
        req.socket.destroy();
        finish('aborted');
      }
    });
    req.on('end', () => finish(size > limit ? 'too-large' : Buffer.concat(chunks, size)));
    req.on('error', () => finish('aborted'));
    req.on('close', () => {
      if (!req.complete) finish('aborted');
    });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, protocol: Protocol, error: AwsServiceError): void {
  if (res.destroyed || res.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('x-amzn-ErrorType', error.code);
  sendJson(res, error.statusCode, protocol === 'rest-json' ? 'application/json' : 'application/x-amz-json-1.1', { __type: error.code, message: error.message });
}
