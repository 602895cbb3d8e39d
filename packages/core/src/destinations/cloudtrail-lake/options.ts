import { isCredentials, type AwsCredentials, type AwsCredentialsProvider } from '../../aws/credentials.js';
import { ConfigurationError } from '../../errors.js';
import { isHttpUrl, optionalBoolean, optionalFunction, optionalString, sourced } from '../../option-checks.js';
import { CHANNEL_ARN_RULE, defaultEndpoint, parseChannelArn, type ChannelArn } from './channel-arn.js';
import { EXTERNAL_ID_PATTERN } from './limits.js';
import type { PutAuditEventsSend } from './put-audit-events-client.js';

/** The CloudTrail Lake destination's resolved options. */
export interface LakeOptions {
  kind: 'cloudtrail-lake';
  channel: ChannelArn;
  externalId: string | undefined;
  endpoint: string;
  region: string;
  credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  checksum: boolean;
  send: PutAuditEventsSend | undefined;
  wrapSend: ((send: PutAuditEventsSend) => PutAuditEventsSend) | undefined;
  maxBatchEvents: number;
  maxBatchBytes: number;
  requestTimeoutMs: number;
  maxSockets: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveLakeOptions(
  o: Record<string, unknown>,
  env: Env,
  shared: { maxBatchEvents: number; maxBatchBytes: number; requestTimeoutMs: number; maxConcurrentRequests: number },
): LakeOptions {
  const arn = sourced(o, 'channelArn', env, 'AUDITLAKE_CHANNEL_ARN');
  if (arn.value === undefined) throw new ConfigurationError('channelArn', `a channel ARN (${CHANNEL_ARN_RULE}), given as the option or AUDITLAKE_CHANNEL_ARN`, undefined);
  const channel = parseChannelArn(arn.value);
  if (!channel) throw new ConfigurationError(arn.name, CHANNEL_ARN_RULE, arn.value);

  const externalId = sourced(o, 'externalId', env, 'AUDITLAKE_EXTERNAL_ID');
  if (externalId.value !== undefined && (typeof externalId.value !== 'string' || !EXTERNAL_ID_PATTERN.test(externalId.value))) {
    throw new ConfigurationError(externalId.name, '2-1224 characters of [A-Za-z0-9_+=,.@:/-]', externalId.value);
  }
  const region = optionalString('region', o.region) ?? channel.region;
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(region)) throw new ConfigurationError('region', 'an AWS region such as us-east-1', region);

  // The AWS SDKs' endpoint variables come after ours: AUDITLAKE_ENDPOINT is the more specific intent.
  const endpoint = sourced(o, 'endpoint', env, 'AUDITLAKE_ENDPOINT', 'AWS_ENDPOINT_URL_CLOUDTRAIL_DATA', 'AWS_ENDPOINT_URL');
  if (endpoint.value !== undefined && !isHttpUrl(endpoint.value)) throw new ConfigurationError(endpoint.name, 'an http:// or https:// URL', endpoint.value);

  const credentials = o.credentials;
  if (credentials !== undefined && typeof credentials !== 'function' && !isCredentials(credentials)) {
    throw new ConfigurationError('credentials', '{ accessKeyId, secretAccessKey, sessionToken? } or a function returning a promise of it', '[object]');
  }
  return {
    kind: 'cloudtrail-lake',
    channel,
    externalId: externalId.value,
    endpoint: (endpoint.value) ?? defaultEndpoint(channel.partition, region),
    region,
    credentials: credentials as AwsCredentials | AwsCredentialsProvider | undefined,
    checksum: optionalBoolean('checksum', o.checksum) ?? true,
    send: optionalFunction<PutAuditEventsSend>('send', o.send, 'a function (input) => Promise<output>'),
    wrapSend: optionalFunction('wrapSend', o.wrapSend, 'a function (send) => send'),
    maxBatchEvents: shared.maxBatchEvents,
    maxBatchBytes: shared.maxBatchBytes,
    requestTimeoutMs: shared.requestTimeoutMs,
    maxSockets: shared.maxConcurrentRequests,
  };
}
