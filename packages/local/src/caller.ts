/**
 * Who is calling, and whether they may. Strict mode verifies the SigV4 signature (with the
 * `X-Amz-Target` header among the signed ones, or a captured signature of one call could be
 * replayed as another) and authorizes as the service does: the control plane belongs to the
 * account that owns the channels and stores; PutAuditEvents is decided by the channel's
 * resource policy (in put-audit-events.ts). Permissive mode trusts whatever key a request names.
 */
import type { IncomingMessage } from 'node:http';
import { AwsServiceError } from './aws-error.js';
import { header } from './http-io.js';
import { parseSigV4Authorization, verifySigV4, type SigV4Secret } from './sigv4.js';

export interface CallerContext {
  strictAuth: boolean;
  region: string;
  maxClockSkewMs: number;
  now: () => number;
  secrets: ReadonlyMap<string, SigV4Secret>;
  ownerAccountId: string;
}

export interface Caller {
  /** The key's account; the owner's for an anonymous caller in permissive mode. */
  accountId: string;
}

export async function authenticate(
  context: CallerContext,
  req: IncomingMessage,
  body: Buffer,
  signing: { service: string; requiredHeaders: readonly string[] },
): Promise<Caller | AwsServiceError> {
  if (!context.strictAuth) {
    const authorization = header(req, 'authorization');
    const parsed = authorization === undefined ? undefined : parseSigV4Authorization(authorization);
    const key = parsed === undefined || typeof parsed === 'string' ? undefined : parsed.accessKeyId;
    return { accountId: (key === undefined ? undefined : context.secrets.get(key)?.accountId) ?? context.ownerAccountId };
  }
  const result = await verifySigV4(req, body, (accessKeyId) => context.secrets.get(accessKeyId), {
    service: signing.service,
    region: context.region,
    now: context.now(),
    maxSkewMs: context.maxClockSkewMs,
  });
  if (!result.ok) return new AwsServiceError(result.code, result.message, result.statusCode);
  for (const name of signing.requiredHeaders) {
    if (!result.signedHeaders.includes(name)) {
      return new AwsServiceError('InvalidSignatureException', `'${headerName(name)}' must be a 'SignedHeader' in the AWS Authorization.`, 403);
    }
  }
  return { accountId: result.accountId ?? context.ownerAccountId };
}

/**
 * The control plane (and CloudWatch Logs) in strict mode: only the owner account. The model's `AccessDeniedException`
 * has no HTTP status of its own, so it is a client error, 400, as awsJson1_1 sends those.
 */
export function authorizeControlPlane(context: CallerContext, caller: Caller, operation: string, service = 'cloudtrail'): AwsServiceError | undefined {
  if (!context.strictAuth || caller.accountId === context.ownerAccountId) return undefined;
  const owned =
    service === 'logs'
      ? `The local lake's log groups belong to account ${context.ownerAccountId}.`
      : `The local lake's channels, event data stores and queries belong to account ${context.ownerAccountId}; other accounts may only call PutAuditEvents on channels whose resource policy allows them.`;
  return new AwsServiceError('AccessDeniedException', `Account ${caller.accountId} is not authorized to perform: ${service}:${operation}. ${owned}`);
}

function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}
