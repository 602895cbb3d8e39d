/**
 * An independent AWS Signature Version 4 verifier, written from the specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) with node:crypto
 * only. It deliberately shares no code with any signer: core's integration tests use it to
 * check what @smithy/signature-v4 produced, and the AWS CLI's botocore signer is checked too.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What the verifier needs of a request; a Node `IncomingMessage` fits. */
export interface SigV4Request {
  method?: string;
  /** Path and query as received, e.g. `/PutAuditEvents?channelArn=arn%3Aaws...`. */
  url?: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Header names and values as received; preferred over `headers` when present (exact duplicates). */
  rawHeaders?: readonly string[];
}

/** The secret of an access key, and what the lake knows about its owner. */
export interface SigV4Secret {
  secretAccessKey: string;
  /** When set, the request must carry this `x-amz-security-token`. */
  sessionToken?: string;
  accountId?: string;
}

/** Finds the secret of an access key id: a secret string, an object, or undefined when unknown. */
export type SigV4SecretLookup = (accessKeyId: string) => string | SigV4Secret | undefined | Promise<string | SigV4Secret | undefined>;

export interface VerifySigV4Options {
  /** The signing name the scope must carry, e.g. `cloudtrail-data`. @default any */
  service?: string;
  /** The region the scope must carry. @default any */
  region?: string;
  /** The current time. @default Date.now() */
  now?: number | Date;
  /** Largest accepted distance between the request date and now. @default 900000 (15 minutes) */
  maxSkewMs?: number;
}

export type SigV4Verification =
  | { ok: true; accessKeyId: string; accountId: string | undefined; region: string; service: string; signedHeaders: string[] }
  | { ok: false; code: SigV4ErrorCode; statusCode: number; message: string; accessKeyId?: string };

export type SigV4ErrorCode =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

/**
 * Verifies the SigV4 signature of a request whose body has been read in full. Never throws on
 * bad input: every failure is a result with the error name and HTTP status AWS uses.
 */
export async function verifySigV4(
  request: SigV4Request,
  body: Uint8Array | string,
  lookupSecret: SigV4SecretLookup,
  options: VerifySigV4Options = {},
): Promise<SigV4Verification> {
  const headers = collectHeaders(request);
  const authorization = headers.get('authorization');
  if (authorization === undefined) {
    return failure('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
  }
  const parsed = parseSigV4Authorization(authorization);
  // AWS echoes the header here; the lake does not: a signature is a credential for 15 minutes.
  if (typeof parsed === 'string') return failure('IncompleteSignatureException', 400, parsed);
  const { accessKeyId } = parsed;

  const amzDate = headers.get('x-amz-date');
  const dateHeader = amzDate === undefined ? headers.get('date') : undefined;
  if (amzDate === undefined && dateHeader === undefined) {
    return failure('IncompleteSignatureException', 400, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", accessKeyId);
  }
  const requestTime = amzDate !== undefined ? parseAmzDate(amzDate) : Date.parse(dateHeader as string);
  if (Number.isNaN(requestTime)) {
    return failure('IncompleteSignatureException', 400, `Date must be in ISO-8601 'basic format' (actual: ${amzDate ?? dateHeader}).`, accessKeyId);
  }
  const requestDate = amzDate ?? formatAmzDate(requestTime);
  if (!parsed.signedHeaders.includes('host')) {
    return failure('InvalidSignatureException', 403, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", accessKeyId);
  }
  const dateName = amzDate !== undefined ? 'x-amz-date' : 'date';
  if (!parsed.signedHeaders.includes(dateName)) {
    return failure('InvalidSignatureException', 403, `'${dateName === 'date' ? 'Date' : 'X-Amz-Date'}' must be a 'SignedHeader' in the AWS Authorization.`, accessKeyId);
  }
  if (parsed.date !== requestDate.slice(0, 8)) {
    return failure(
      'InvalidSignatureException',
      403,
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${requestDate.slice(0, 8)}', from '${requestDate}'.`,
      accessKeyId,
    );
  }
  if (options.region !== undefined && parsed.region !== options.region) {
    return failure('InvalidSignatureException', 403, `Credential should be scoped to a valid region, not '${parsed.region}'.`, accessKeyId);
  }
  if (options.service !== undefined && parsed.service !== options.service) {
    return failure('InvalidSignatureException', 403, `Credential should be scoped to correct service: '${options.service}'.`, accessKeyId);
  }
  if (parsed.terminator !== 'aws4_request') {
    return failure('InvalidSignatureException', 403, `Credential should be scoped with a valid terminator: 'aws4_request', not '${parsed.terminator}'.`, accessKeyId);
  }

  const now = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const minutes = Math.round(maxSkewMs / 60_000);
  if (requestTime < now - maxSkewMs) {
    return failure(
      'InvalidSignatureException',
      403,
      `Signature expired: ${requestDate} is now earlier than ${formatAmzDate(now - maxSkewMs)} (${formatAmzDate(now)} - ${minutes} min.)`,
      accessKeyId,
    );
  }
  if (requestTime > now + maxSkewMs) {
    return failure(
      'InvalidSignatureException',
      403,
      `Signature not yet current: ${requestDate} is still later than ${formatAmzDate(now + maxSkewMs)} (${formatAmzDate(now)} + ${minutes} min.)`,
      accessKeyId,
    );
  }

  let found: string | SigV4Secret | undefined;
  try {
    found = await lookupSecret(accessKeyId);
  } catch {
    found = undefined;
  }
  const secret = typeof found === 'string' ? { secretAccessKey: found } : found;
  if (secret === undefined) return failure('UnrecognizedClientException', 403, 'The security token included in the request is invalid.', accessKeyId);
  if (secret.sessionToken !== undefined && headers.get('x-amz-security-token') !== secret.sessionToken) {
    return failure('UnrecognizedClientException', 403, 'The security token included in the request is invalid.', accessKeyId);
  }

  const bodyHash = sha256Hex(body);
  const declared = headers.get('x-amz-content-sha256');
  if (declared !== undefined && declared !== bodyHash) {
    return failure('InvalidSignatureException', 403, "The provided 'x-amz-content-sha256' header does not match what was computed.", accessKeyId);
  }
  for (const name of parsed.signedHeaders) {
    if (!headers.has(name)) return failure('InvalidSignatureException', 403, `The signed header '${name}' is not in the request.`, accessKeyId);
  }

  const canonical = canonicalRequest(request.method ?? 'GET', request.url ?? '/', headers, parsed.signedHeaders, bodyHash);
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`;
  const stringToSign = [ALGORITHM, requestDate, scope, sha256Hex(canonical)].join('\n');
  const key = signingKey(secret.secretAccessKey, parsed.date, parsed.region, parsed.service);
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(parsed.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return failure(
      'InvalidSignatureException',
      403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      accessKeyId,
    );
  }
  return { ok: true, accessKeyId, accountId: secret.accountId, region: parsed.region, service: parsed.service, signedHeaders: parsed.signedHeaders };
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/svc/aws4_request, SignedHeaders=a;b, Signature=hex`; a string is the problem. */
export function parseSigV4Authorization(header: string): SigV4Authorization | string {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) return `Unsupported AWS 'algorithm': '${algorithm}' (expected '${ALGORITHM}').`;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields.get(name));
  if (missing.length > 0) return missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ');
  const credential = (fields.get('Credential') as string).split('/');
  if (credential.length !== 5) return `Credential should have exactly 5 slash-separated parts, not ${credential.length}.`;
  const [accessKeyId, date, region, service, terminator] = credential as [string, string, string, string, string];
  if (accessKeyId.length === 0) return 'Credential is missing the access key id.';
  if (!/^\d{8}$/.test(date)) return `Credential date must be YYYYMMDD (actual: '${date}').`;
  const signature = fields.get('Signature') as string;
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'Signature must be 64 lower-case hex digits.';
  const signedHeaders = (fields.get('SignedHeaders') as string).split(';').map((name) => name.trim().toLowerCase());
  return { accessKeyId, date, region, service, terminator, signedHeaders, signature };
}

/** Header values by lower-case name; repeated headers joined with `,` as SigV4 specifies. */
function collectHeaders(request: SigV4Request): Map<string, string> {
  const headers = new Map<string, string>();
  if (request.rawHeaders && request.rawHeaders.length > 0) {
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
      const name = (request.rawHeaders[i] as string).toLowerCase();
      const value = request.rawHeaders[i + 1] as string;
      const previous = headers.get(name);
      headers.set(name, previous === undefined ? value : `${previous},${value}`);
    }
    return headers;
  }
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(',') : value);
  }
  return headers;
}

function canonicalRequest(method: string, url: string, headers: Map<string, string>, signedHeaders: string[], bodyHash: string): string {
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  const query = question === -1 ? '' : url.slice(question + 1);
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(headers.get(name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [method.toUpperCase(), canonicalUri(path), canonicalQuery(query), canonicalHeaders, signedHeaders.join(';'), bodyHash].join('\n');
}

/**
 * Non-S3 services normalize the path (`.` and `..`, empty segments) and URI-encode the path
 * as received once more, which is what both botocore and smithy do before signing.
 */
function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** Sorted by key then value, each decoded and re-encoded the RFC 3986 way. */
function canonicalQuery(query: string): string {
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([escapeUri(decode(key)), escapeUri(decode(value))]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** RFC 3986: everything but `A-Za-z0-9-_.~` percent-encoded, upper-case hex. */
export function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date, 'utf8').digest();
  const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
  const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
  return createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `20240102T030405Z` → epoch ms, NaN when malformed. */
function parseAmzDate(text: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function failure(code: SigV4ErrorCode, statusCode: number, message: string, accessKeyId?: string): SigV4Verification {
  return accessKeyId === undefined ? { ok: false, code, statusCode, message } : { ok: false, code, statusCode, message, accessKeyId };
}
