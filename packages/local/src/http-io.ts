/** Reading requests and writing AWS-shaped responses on node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsServiceError } from './aws-error.js';

/** restJson1 (`POST /PutAuditEvents`) or awsJson1_1 (`POST /` with `X-Amz-Target`). */
export type Protocol = 'rest-json' | 'json-1.1';

/**
 * Bodies larger than the PutAuditEvents ceiling are refused with 413. They are read to the end
 * (and discarded) so the client gets the answer instead of a reset, up to this much.
 */
const MAX_DRAINED_BYTES = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
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

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendJson(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, protocol: Protocol, error: AwsServiceError): void {
  if (res.destroyed || res.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('x-amzn-ErrorType', error.code);
  sendJson(res, error.statusCode, protocol === 'rest-json' ? 'application/json' : 'application/x-amz-json-1.1', { __type: error.code, message: error.message });
}
