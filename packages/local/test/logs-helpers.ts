import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { expect } from 'vitest';
import type { LocalLake } from '../src/index.js';
import { signedRequest, type RawResponse } from './helpers.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The official client, pointed at the lake, with the lake's own key; no retries, so that every answer is seen. */
export function logsClient(l: LocalLake, credentials = l.credentials): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint: l.endpoint, region: l.region, credentials, maxAttempts: 1 });
}

/** A CloudWatch Logs call over awsJson1_1, signed for `logs` with the lake's key: status, headers and body as sent. */
export function logsCall(l: LocalLake, operation: string, input: unknown, options: { credentials?: { accessKeyId: string; secretAccessKey: string }; body?: string } = {}): Promise<RawResponse> {
  return signedRequest(l.endpoint, {
    credentials: options.credentials ?? l.credentials,
    service: 'logs',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${operation}` },
    body: options.body ?? JSON.stringify(input),
  });
}

/** The error a call rejected with: its name (the service's error shape) and message. */
export async function awsError(call: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await call;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  expect.fail('the call succeeded');
}

/** A clock the test moves. */
export function testClock(start: number): { now: () => number; set(ms: number): void; advance(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
    advance(ms) {
      current += ms;
    },
  };
}
