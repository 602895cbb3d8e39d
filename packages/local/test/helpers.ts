import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll } from 'vitest';
import { startLocalLake, type LocalLake, type LocalLakeOptions } from '../src/index.js';

export const BIN = fileURLToPath(new URL('../bin/auditlake.js', import.meta.url));
export const ACCOUNT = '123456789012';

/** Temporary directories, removed after the file's tests. */
const dirs: string[] = [];
export function tempDir(prefix = 'auditlake-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const lakes: LocalLake[] = [];
/** A lake closed after the file's tests. */
export async function lake(options: LocalLakeOptions = {}): Promise<LocalLake> {
  const started = await startLocalLake({ diagnostics: quiet, quiet: true, ...options });
  lakes.push(started);
  return started;
}

const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const started of lakes.splice(0)) await started.close();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export const quiet = { debug: () => {}, warn: () => {}, error: () => {} };

/** A valid integration-schema event. */
export function eventData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    userIdentity: { type: 'CustomUserIdentity', principalId: 'alice' },
    eventSource: 'test.auditlake',
    eventName: 'Login',
    eventTime: '2022-09-25T10:00:00Z',
    UID: 'uid-1',
    recipientAccountId: ACCOUNT,
    ...overrides,
  };
}

export function auditEvent(id: string, overrides: Record<string, unknown> = {}): { id: string; eventData: string } {
  return { id, eventData: JSON.stringify(eventData(overrides)) };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  text: string;
}

/** An unsigned PutAuditEvents call (the lake accepts it unless strict). */
export async function putRaw(
  endpoint: string,
  options: { channelArn?: string; externalId?: string; body: unknown; contentType?: string | null; rawBody?: string | Buffer },
): Promise<RawResponse> {
  const query = new URLSearchParams();
  if (options.channelArn !== undefined) query.set('channelArn', options.channelArn);
  if (options.externalId !== undefined) query.set('externalId', options.externalId);
  const headers: Record<string, string> = {};
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const body = options.rawBody ?? JSON.stringify(options.body);
  const response = await fetch(`${endpoint}/PutAuditEvents?${query.toString().replaceAll('+', '%20')}`, { method: 'POST', headers, body });
  return rawResponse(response);
}

/** Status, headers, text and (when it is JSON) the parsed body of a response. */
async function rawResponse(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** A control-plane call over awsJson1_1, unsigned. */
export async function controlRaw(endpoint: string, operation: string, input: unknown): Promise<RawResponse> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.${operation}` },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as Record<string, unknown>, text };
}

/** Whether the AWS CLI is here. Tests that need it fail without it, unless AUDITLAKE_SKIP_AWS_CLI=1 skips them (loudly). */
export const SKIP_AWS_CLI = process.env.AUDITLAKE_SKIP_AWS_CLI === '1';
if (SKIP_AWS_CLI) console.warn('auditlake: AUDITLAKE_SKIP_AWS_CLI=1: the AWS CLI conformance tests are SKIPPED');

/**
 * Runs the AWS CLI with an isolated home and config, so that the machine's own profiles,
 * credentials and settings cannot interfere.
 */
export function aws(args: string[], credentials: { accessKeyId: string; secretAccessKey: string }, region = 'us-east-1'): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = tempDir('auditlake-aws-home-');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
    AWS_RETRY_MODE: 'standard',
  };
  if (process.env.PYENV_ROOT) env.PYENV_ROOT = process.env.PYENV_ROOT;
  return new Promise((resolve) => {
    execFile('aws', [...args, '--output', 'json'], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `auditlake ...` to completion. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `auditlake serve --port 0 ...` and resolves once it printed its endpoint. */
export async function serve(args: string[]): Promise<{ child: ChildProcess; endpoint: string; channelArn: string; eventDataStoreId: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Waits for the banner or the exit, however long the machine takes; vitest's timeout bounds it.
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => {
      if (/Stop with Ctrl-C/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  const field = (name: string) => new RegExp(`${name}:\\s+(\\S+)`).exec(output)?.[1] as string;
  return { child, endpoint: field('endpoint'), channelArn: field('channel ARN'), eventDataStoreId: field('event data store'), output: () => output };
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * A request signed with SigV4 by the Smithy signer, with control over what is signed: headers
 * named in `unsigned` stay out of the signature, and `afterSigning` may change the request once
 * signed (a replayed or altered request).
 */
export async function signedRequest(
  endpoint: string,
  options: {
    credentials: { accessKeyId: string; secretAccessKey: string };
    service: 'cloudtrail' | 'cloudtrail-data' | 'logs';
    path?: string;
    query?: Record<string, string>;
    headers: Record<string, string>;
    body: string;
    unsigned?: string[];
    afterSigning?: (headers: Record<string, string>) => void;
  },
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: options.service, region: 'us-east-1', credentials: options.credentials, sha256: Hash.bind(null, 'sha256') });
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: options.path ?? '/',
    ...(options.query ? { query: options.query } : {}),
    headers: { host: url.host, ...options.headers },
    body: options.body,
  });
  const signed = await signer.sign(request, options.unsigned ? { unsignableHeaders: new Set(options.unsigned) } : {});
  const headers = { ...signed.headers };
  delete headers.host;
  options.afterSigning?.(headers);
  const query = options.query ? `?${new URLSearchParams(options.query).toString().replaceAll('+', '%20')}` : '';
  const response = await fetch(`${endpoint}${options.path ?? '/'}${query}`, { method: 'POST', headers, body: options.body });
  return rawResponse(response);
}

/** A signed control-plane call (awsJson1_1). */
export function signedControl(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  operation: string,
  input: unknown,
  options: { unsigned?: string[]; afterSigning?: (headers: Record<string, string>) => void } = {},
): Promise<RawResponse> {
  return signedRequest(endpoint, {
    credentials,
    service: 'cloudtrail',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.${operation}` },
    body: JSON.stringify(input),
    ...options,
  });
}

/** A signed PutAuditEvents call (restJson1). */
export function signedPutAuditEvents(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }, channelArn: string, auditEvents: unknown[]): Promise<RawResponse> {
  return signedRequest(endpoint, {
    credentials,
    service: 'cloudtrail-data',
    path: '/PutAuditEvents',
    query: { channelArn },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auditEvents }),
  });
}
