/**
 * The lake's single node:http server: `POST /PutAuditEvents` (restJson1), `POST /` with
 * `X-Amz-Target` (awsJson1_1) and `GET /health`. It answers every request, good or bad, and
 * keeps serving: nothing a client sends can take it down, and idle connections cannot lock
 * other clients out.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Diagnostics } from '@auditlake/core';
import { MAX_REQUEST_BODY_BYTES } from '@auditlake/core/internal';
import { AwsServiceError, isAwsServiceError } from './aws-error.js';
import { resolveTarget, runJsonOperation, type JsonService } from './aws-json-dispatch.js';
import { authenticate, authorizeControlPlane, type CallerContext } from './caller.js';
import { limitConnections } from './connection-limits.js';
import { OncePerCause } from './once-per-cause.js';
import { CLOUDTRAIL_SERVICE, type ControlPlaneContext } from './control-plane/index.js';
import type { FaultInjector } from './faults.js';
import type { HostCheck } from './host-check.js';
import { header, readBody, sendError, sendJson, type Protocol } from './http-io.js';
import type { LakeStore } from './lake-store.js';
import { LOGS_MAX_REQUEST_BODY_BYTES, LOGS_SERVICE, PUT_LOG_EVENTS, type LogsContext } from './logs/operations.js';
import { putAuditEvents } from './put-audit-events.js';
import { parseQueryString } from './put-audit-events-request.js';
import type { QueryRegistry } from './query-registry.js';
import type { RequestRateLimiter } from './rate-limit.js';
import { formatRequestLogLine, printable, type RequestLogEntry, type RequestLogSink } from './request-log.js';

export interface LakeServerContext extends CallerContext {
  store: LakeStore;
  queries: QueryRegistry;
  faults: FaultInjector;
  diagnostics: Diagnostics;
  hostCheck: HostCheck;
  /** Undefined: no rate limit. */
  rateLimiter: RequestRateLimiter | undefined;
  /** Undefined: no request log. */
  requestLog: RequestLogSink | undefined;
  maxConnections: number;
  idleTimeoutMs: number;
}

export interface LakeServer {
  readonly server: Server;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** The awsJson1_1 services behind `POST /`, told apart by their target prefix; each runs against what it needs of one context. */
const JSON_SERVICES: readonly JsonService<ControlPlaneContext & LogsContext>[] = [CLOUDTRAIL_SERVICE, LOGS_SERVICE];

/** Which data-plane call a request is (the calls fault injection acts on), by its dialect of errors. */
type DataPlane = 'cloudtrail-data' | 'logs';

/** What one request did, for its request-log line. */
interface Outcome {
  operation: string;
  errorCode?: string;
  events?: number;
  failed?: number;
}

export function createLakeServer(context: LakeServerContext): LakeServer {
  const inFlight = new Set<Promise<void>>();
  const reported = new OncePerCause(context.diagnostics);
  // Cuts injected latency short at close, so a stopping lake does not wait out its own delays.
  const stopping = new AbortController();
  const server = createServer((req, res) => {
    const started = performance.now();
    const outcome: Outcome = { operation: `${req.method ?? '?'} ${printable((req.url ?? '/').split('?')[0] ?? '/')}` };
    const done = connections.begin(req.socket);
    res.once('close', () => {
      done();
      if (context.requestLog === undefined) return;
      const entry: RequestLogEntry = { ...outcome, status: res.headersSent && res.writableFinished ? res.statusCode : undefined, durationMs: performance.now() - started, time: context.now() };
      context.requestLog(formatRequestLogLine(entry));
    });
    const handling = handle(context, req, res, outcome, stopping.signal, reported).catch((error: unknown) => {
      outcome.errorCode = 'InternalFailure';
      reported.report('error', `internal:${error instanceof Error ? error.message : String(error)}`, `auditlake: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 'rest-json', new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error.', 500));
      } else {
        res.destroy();
      }
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  // Slow or silent clients must not hold a connection (and a file descriptor) for ever.
  server.headersTimeout = Math.min(context.idleTimeoutMs, 60_000);
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = Math.min(context.idleTimeoutMs, 5_000);
  const connections = limitConnections(server, {
    maxConnections: context.maxConnections,
    idleTimeoutMs: context.idleTimeoutMs,
    onEvict: (reason) =>
      reported.report(
        'warn',
        `connections:${reason}`,
        reason === 'evicted'
          ? `auditlake: ${context.maxConnections} connections are open (maxConnections); new ones close the longest-idle one`
          : `auditlake: ${context.maxConnections} connections are open (maxConnections) and all are busy; new connections are refused with 503`,
      ),
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

async function handle(context: LakeServerContext, req: IncomingMessage, res: ServerResponse, outcome: Outcome, stopping: AbortSignal, reported: OncePerCause): Promise<void> {
  res.setHeader('x-amzn-RequestId', randomUUID());
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  if (!context.hostCheck.allows(header(req, 'host'))) {
    req.resume();
    refuseHost(context, header(req, 'host') as string, res, outcome, reported);
    return;
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && path === '/health') {
    req.resume();
    outcome.operation = 'Health';
    sendJson(res, stopping.aborted ? 503 : 200, 'application/json', { status: stopping.aborted ? 'stopping' : 'ok', region: context.region, accountId: context.ownerAccountId });
    return;
  }
  const route: Protocol | undefined = req.method === 'POST' && path === '/PutAuditEvents' ? 'rest-json' : req.method === 'POST' && path === '/' ? 'json-1.1' : undefined;
  if (route === undefined) {
    req.resume();
    fail(res, 'rest-json', outcome, new AwsServiceError('UnknownOperationException', `No operation at ${req.method ?? '?'} ${path ?? url}.`, 404));
    return;
  }
  const target = route === 'json-1.1' ? header(req, 'x-amz-target') : undefined;
  const resolved = route === 'json-1.1' ? resolveTarget(JSON_SERVICES, target) : undefined;
  const logs = resolved?.service === LOGS_SERVICE;
  outcome.operation = route === 'rest-json' ? 'PutAuditEvents' : printable(resolved?.name ?? target ?? 'UnknownOperation');
  const dataPlane: DataPlane | undefined = route === 'rest-json' ? 'cloudtrail-data' : logs && resolved?.name === PUT_LOG_EVENTS ? 'logs' : undefined;

  if (dataPlane !== undefined && !(await injectRequestFaults(context, req, res, outcome, stopping, dataPlane))) return;

  const limit = logs ? LOGS_MAX_REQUEST_BODY_BYTES : MAX_REQUEST_BODY_BYTES;
  const body = await readBody(req, limit);
  if (body === 'aborted') return;
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    const why = logs ? 'a PutLogEvents request holds at most 1,048,576 bytes of messages' : '100 events or 1 MB per PutAuditEvents request';
    fail(res, route, outcome, new AwsServiceError('RequestEntityTooLargeException', `The request body exceeds the limit of ${limit} bytes (${why}).`, 413));
    return;
  }

  const signingName = route === 'rest-json' ? 'cloudtrail-data' : (resolved?.service.signingName ?? CLOUDTRAIL_SERVICE.signingName);
  const caller = await authenticate(context, req, body, { service: signingName, requiredHeaders: route === 'json-1.1' ? ['x-amz-target'] : [] });
  if (isAwsServiceError(caller)) {
    fail(res, route, outcome, caller);
    return;
  }
  // Where this comes from: the CloudTrail model's ThrottlingException ("the request rate
  // exceeds the limit") has no HTTP status of its own, so 400, as AWS JSON services send it;
  // the body observed from them is {"__type":"ThrottlingException","message":"Rate exceeded"}
  // (reference/cloudwatch-logs-facts.md §1.2; cloudtrail-lake-facts.md §1.4 lists it as generic).
  if (context.rateLimiter && !context.rateLimiter.take(`${caller.accountId} ${signingName}`)) {
    fail(res, route, outcome, new AwsServiceError('ThrottlingException', 'Rate exceeded'));
    return;
  }

  try {
    if (route === 'rest-json') {
      const response = await putAuditEvents(context, {
        query: parseQueryString(url),
        body,
        contentType: header(req, 'content-type'),
        callerAccountId: caller.accountId,
      });
      outcome.events = response.successful.length + response.failed.length;
      outcome.failed = response.failed.length;
      if (context.faults.draw('resetAfterStore')) {
        req.socket.destroy();
        return;
      }
      sendJson(res, 200, 'application/json', response);
    } else {
      const contentType = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/x-amz-json-1.1' && contentType !== 'application/x-amz-json-1.0') {
        throw new AwsServiceError('UnsupportedMediaTypeException', `Unsupported Content-Type '${contentType ?? ''}'; the ${logs ? 'CloudWatch Logs' : 'CloudTrail'} API takes application/x-amz-json-1.1.`, 415);
      }
      if (resolved?.operation) {
        const denied = authorizeControlPlane(context, caller, resolved.name, resolved.service.signingName);
        if (denied) throw denied;
      }
      const countEvents = (events: number, rejected: number) => {
        outcome.events = events;
        outcome.failed = rejected;
      };
      const output = await runJsonOperation({ store: context.store, queries: context.queries, now: context.now, faults: context.faults, countEvents }, resolved, target, body);
      if (dataPlane === 'logs' && context.faults.draw('resetAfterStore')) {
        req.socket.destroy();
        return;
      }
      sendJson(res, 200, 'application/x-amz-json-1.1', output);
    }
  } catch (error) {
    if (!isAwsServiceError(error)) throw error;
    fail(res, route, outcome, error);
  }
}

/**
 * The faults that act before a data-plane request (PutAuditEvents, PutLogEvents) is read;
 * false when the request is over. Each API fails in its own words: CloudTrail Lake throttles
 * with 429, CloudWatch Logs with 400 `ThrottlingException` ("Rate exceeded") and fails with its
 * modeled 500 `ServiceUnavailableException` (reference/cloudwatch-logs-facts.md §2.5).
 */
async function injectRequestFaults(context: LakeServerContext, req: IncomingMessage, res: ServerResponse, outcome: Outcome, stopping: AbortSignal, dataPlane: DataPlane): Promise<boolean> {
  const protocol: Protocol = dataPlane === 'logs' ? 'json-1.1' : 'rest-json';
  const latency = context.faults.draw('latency');
  if (latency) {
    const slept = await delay(latency.delayMs, true, { signal: stopping }).catch(() => false);
    if (!slept) {
      req.socket.destroy();
      return false;
    }
  }
  if (context.faults.draw('reset')) {
    req.socket.destroy();
    return false;
  }
  const throttle = context.faults.draw('throttle');
  if (throttle) {
    req.resume();
    const headers: Record<string, string> = throttle.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(throttle.retryAfterSeconds) };
    fail(res, protocol, outcome, new AwsServiceError('ThrottlingException', 'Rate exceeded', dataPlane === 'logs' ? 400 : 429, headers));
    return false;
  }
  const serverError = context.faults.draw('serverError');
  if (serverError) {
    req.resume();
    const error =
      serverError.statusCode === 503
        ? new AwsServiceError('ServiceUnavailable', 'The service is unavailable. Please try again later.', 503)
        : dataPlane === 'logs'
          ? new AwsServiceError('ServiceUnavailableException', 'The service cannot complete the request.', 500)
          : new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
    fail(res, protocol, outcome, error);
    return false;
  }
  return true;
}

function refuseHost(context: LakeServerContext, host: string, res: ServerResponse, outcome: Outcome, reported: OncePerCause): void {
  const shown = JSON.stringify(host.length > 100 ? `${host.slice(0, 100)}…` : host);
  // One cause for all foreign names: a rebinding page can send endless distinct ones.
  reported.report('warn', 'foreign-host', `auditlake: refused a request with the Host header ${shown}, which does not name this lake (DNS rebinding protection; add names with allowedHosts)`);
  fail(
    res,
    'rest-json',
    outcome,
    new AwsServiceError(
      'InvalidHostHeaderException',
      `The Host header ${shown} does not name this local lake (accepted: ${context.hostCheck.describe()}). The check protects the lake from DNS rebinding; add a name with the allowedHosts option.`,
      403,
    ),
  );
}

function fail(res: ServerResponse, protocol: Protocol, outcome: Outcome, error: AwsServiceError): void {
  outcome.errorCode = error.code;
  sendError(res, protocol, error);
}
