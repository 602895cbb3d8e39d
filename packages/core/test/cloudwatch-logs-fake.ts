/**
 * A small CloudWatch Logs over node:http for the tests: awsJson1_1 PutLogEvents, CreateLogStream
 * and CreateLogGroup with the service's own rules (event count, the 26-byte arithmetic, order,
 * the 24-hour span, too new / too old / expired events), SigV4 checked on every request, and
 * scripted faults. Not the local lake: only what these tests need, strictly.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';

export const ACCESS_KEY = { accessKeyId: 'AKIDLOGSTEST', secretAccessKey: 'logs-test-secret' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SeenCall {
  operation: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The signature was recomputed from what arrived and matched. */
  signed: boolean;
  /** The credential scope's service and region. */
  scope: { service: string; region: string } | undefined;
}

/** A scripted answer: an HTTP status with an error (or a body), or a connection reset. */
export type Answer = { status: number; type?: string; message?: string; body?: unknown } | 'reset';

interface Group {
  retentionInDays: number | undefined;
  streams: Map<string, { timestamp: number; message: string }[]>;
}

export interface FakeLogs {
  endpoint: string;
  calls: SeenCall[];
  groups: Map<string, Group>;
  addGroup(name: string, options?: { retentionInDays?: number; streams?: string[] }): void;
  /** Answers for the next calls of `operation`, in order, before the normal handling. */
  script(operation: string, ...answers: Answer[]): void;
  /** Every event stored in a stream. */
  stored(group: string, stream: string): { timestamp: number; message: string }[];
  /** The operations called, in order. */
  operations(): string[];
  close(): Promise<void>;
}

export async function startFakeLogs(options: { now?: () => number } = {}): Promise<FakeLogs> {
  const now = options.now ?? Date.now;
  const calls: SeenCall[] = [];
  const groups = new Map<string, Group>();
  const scripts = new Map<string, Answer[]>();
  let requestId = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('Logs_20140328.') ? target.slice('Logs_20140328.'.length) : target;
        const verified = await verify(req, body);
        calls.push({ operation, headers: req.headers, body: body.toString('utf8'), signed: verified.ok, scope: verified.scope });
        const reply = (status: number, payload: unknown) => {
          const text = payload === undefined ? '' : JSON.stringify(payload);
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${++requestId}`, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        };
        const fail = (status: number, type: string, message: string) => reply(status, { __type: type, message });
        if (!verified.ok) return fail(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
        if (verified.scope?.service !== 'logs') return fail(403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'logs'.");
        if (req.method !== 'POST' || req.url !== '/' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
          return fail(400, 'SerializationException', `expected POST / with application/x-amz-json-1.1 (got ${req.method} ${req.url} ${req.headers['content-type']})`);
        }
        const scripted = scripts.get(operation)?.shift();
        if (scripted === 'reset') return void req.socket.destroy();
        if (scripted !== undefined) return scripted.type ? fail(scripted.status, scripted.type, scripted.message ?? '') : reply(scripted.status, scripted.body);
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          return fail(400, 'SerializationException', 'the body is not JSON');
        }
        const result = handle(operation, input);
        if ('error' in result) return fail(result.error[0], result.error[1], result.error[2]);
        reply(200, result.output);
      })();
    });
  });

  function handle(operation: string, input: Record<string, unknown>): { output: unknown } | { error: [number, string, string] } {
    const invalid = (message: string) => ({ error: [400, 'InvalidParameterException', message] as [number, string, string] });
    const group = groups.get(String(input.logGroupName));
    const noGroup = { error: [400, 'ResourceNotFoundException', 'The specified log group does not exist.'] as [number, string, string] };
    if (operation === 'CreateLogGroup') {
      if (group) return { error: [400, 'ResourceAlreadyExistsException', 'The specified log group already exists'] };
      groups.set(String(input.logGroupName), { retentionInDays: undefined, streams: new Map() });
      return { output: undefined };
    }
    if (operation === 'CreateLogStream') {
      if (!group) return noGroup;
      if (group.streams.has(String(input.logStreamName))) return { error: [400, 'ResourceAlreadyExistsException', 'The specified log stream already exists'] };
      group.streams.set(String(input.logStreamName), []);
      return { output: undefined };
    }
    if (operation !== 'PutLogEvents') return { error: [400, 'UnknownOperationException', operation] };
    const events = input.logEvents as { timestamp: number; message: string }[];
    if (!Array.isArray(events) || events.length < 1 || events.length > 10_000) return invalid(`logEvents must hold 1 to 10000 events (got ${Array.isArray(events) ? events.length : typeof events})`);
    let size = 0;
    for (const [i, event] of events.entries()) {
      if (typeof event.message !== 'string' || event.message.length < 1) return invalid(`logEvents.${i + 1}.member.message must have length greater than or equal to 1`);
      if (!Number.isInteger(event.timestamp) || event.timestamp < 0) return invalid(`logEvents.${i + 1}.member.timestamp must be a long >= 0`);
      const bytes = Buffer.byteLength(event.message) + 26;
      if (bytes > 1_048_576) return invalid(`Log event too large: ${bytes} bytes exceeds limit of 1048576`);
      size += bytes;
      if (i > 0 && event.timestamp < (events[i - 1] as { timestamp: number }).timestamp) return invalid('Log events in a single PutLogEvents request must be in chronological order.');
    }
    if (size > 1_048_576) return invalid(`Upload too large: ${size} bytes exceeds limit of 1048576`);
    if (!group) return noGroup;
    const stream = group.streams.get(String(input.logStreamName));
    if (!stream) return { error: [400, 'ResourceNotFoundException', 'The specified log stream does not exist.'] };
    const at = now();
    const count = (test: (t: number) => boolean) => events.filter((event) => test(event.timestamp)).length;
    const tooOld = count((t) => t < at - 14 * DAY);
    const expired = group.retentionInDays === undefined ? 0 : count((t) => t < at - group.retentionInDays! * DAY);
    const tooNewFrom = events.findIndex((event) => event.timestamp > at + 2 * HOUR);
    const valid = events.slice(Math.max(tooOld, expired), tooNewFrom === -1 ? events.length : tooNewFrom);
    if (valid.length > 1 && valid.at(-1)!.timestamp - valid[0]!.timestamp > DAY) {
      return invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    stream.push(...valid);
    const info: Record<string, number> = {};
    if (tooOld > 0) info.tooOldLogEventEndIndex = tooOld;
    if (expired > 0) info.expiredLogEventEndIndex = expired;
    if (tooNewFrom !== -1) info.tooNewLogEventStartIndex = tooNewFrom;
    return { output: { nextSequenceToken: '49039859613988223109', ...(Object.keys(info).length > 0 ? { rejectedLogEventsInfo: info } : {}) } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    groups,
    addGroup(name, { retentionInDays, streams = [] } = {}) {
      groups.set(name, { retentionInDays, streams: new Map(streams.map((stream) => [stream, []])) });
    },
    script(operation, ...answers) {
      scripts.set(operation, [...(scripts.get(operation) ?? []), ...answers]);
    },
    stored: (group, stream) => groups.get(group)?.streams.get(stream) ?? [],
    operations: () => calls.map((call) => call.operation),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Recomputes the signature of what arrived, with the secret, over exactly the headers the
 * request says it signed, at the time it says it signed: any change of path, header or body on
 * the way, a wrong secret, service or region, makes it differ.
 */
async function verify(req: IncomingMessage, body: Buffer): Promise<{ ok: boolean; scope: SeenCall['scope'] }> {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
  if (!match) return { ok: false, scope: undefined };
  const [, accessKeyId, , region, service, signedHeaders] = match as unknown as [string, string, string, string, string, string];
  const scope = { service, region };
  if (accessKeyId !== ACCESS_KEY.accessKeyId) return { ok: false, scope };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(req.headers[name] ?? '');
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service, region, credentials: ACCESS_KEY, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const [path, query = ''] = (req.url ?? '/').split('?');
  const request = new HttpRequest({
    method: req.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path,
    query: Object.fromEntries(new URLSearchParams(query)),
    headers,
    body,
  });
  const signed = await signer.sign(request, { signingDate });
  return { ok: signed.headers.authorization === req.headers.authorization, scope };
}
