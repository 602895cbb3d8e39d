import { AwsRequestError } from '../errors.js';

/** AWS credentials; the same shape as `AwsCredentialIdentity` of the AWS SDK. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working; they are fetched again 5 minutes before. */
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** Credentials are fetched again this long before they expire. */
export const CREDENTIALS_REFRESH_MS = 5 * 60_000;

/**
 * Caches credentials and fetches them again `CREDENTIALS_REFRESH_MS` before they expire;
 * concurrent callers share one fetch. A fetch that takes longer than `timeoutMs` fails with
 * `CredentialsTimeout` (retryable) and is forgotten, so the next request asks again instead of
 * waiting on a call that hangs for ever (an IMDS or SSO endpoint that never answers).
 */
export function memoizeCredentials(source: AwsCredentials | AwsCredentialsProvider, timeoutMs: number, now: () => number = Date.now): AwsCredentialsProvider {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const fresh = (credentials: AwsCredentials) => credentials.expiration === undefined || credentials.expiration.getTime() - now() > CREDENTIALS_REFRESH_MS;
  const fetch = (): Promise<AwsCredentials> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AwsRequestError(`the credentials provider gave no answer within ${timeoutMs} ms`, { errorCode: 'CredentialsTimeout' })), timeoutMs);
      timer.unref();
    });
    const fetched = Promise.resolve().then(source).then((credentials) => {
      if (!isCredentials(credentials)) throw new AwsRequestError('the credentials provider returned no accessKeyId/secretAccessKey', { errorCode: 'CredentialsProviderError' });
      current = credentials;
      return credentials;
    });
    return Promise.race([fetched, timeout]).finally(() => {
      clearTimeout(timer);
      pending = undefined;
    });
  };
  return () => {
    if (current && fresh(current)) return Promise.resolve(current);
    pending ??= fetch();
    return pending;
  };
}

/**
 * The first link of the AWS SDK's Node default chain, read without loading the chain: the
 * environment's static keys (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and
 * `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` when set), exactly as the chain returns
 * them. `undefined` when the chain would not take them: a key missing or empty, or
 * `AWS_PROFILE` set (the chain then skips the environment for the profile).
 */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentials | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_CREDENTIAL_EXPIRATION: expiry } = env;
  if (env.AWS_PROFILE || !accessKeyId || !secretAccessKey) return undefined;
  const credentials: AwsCredentials = { accessKeyId, secretAccessKey };
  if (sessionToken) credentials.sessionToken = sessionToken;
  if (expiry) credentials.expiration = new Date(expiry);
  return credentials;
}

export function isCredentials(value: unknown): value is AwsCredentials {
  const c = value as Partial<AwsCredentials> | null;
  return typeof c === 'object' && c !== null && typeof c.accessKeyId === 'string' && c.accessKeyId.length > 0 && typeof c.secretAccessKey === 'string';
}
