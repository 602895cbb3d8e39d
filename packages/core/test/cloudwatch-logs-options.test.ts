import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AUDIT_SINK_DEFAULTS, ConfigurationError, createAuditSink, type AuditSinkOptions } from '../src/index.js';
import { defaultLogsEndpoint, defaultLogStreamName, resolveAuditSinkOptions, type ResolvedAuditSinkOptions } from '../src/internal.js';
import { CHANNEL_ARN } from './helpers.js';

const resolve = (options: AuditSinkOptions) => resolveAuditSinkOptions({ env: {}, ...options });
const logs = (resolved: ResolvedAuditSinkOptions) => {
  if (resolved.destination.kind !== 'cloudwatch-logs') throw new Error(`expected CloudWatch Logs, got ${resolved.destination.kind}`);
  return resolved.destination;
};
const GROUP = { logGroupName: '/app/audit', region: 'eu-west-1' };

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as Error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('choosing the destination: exactly one of channelArn and logGroupName', () => {
  it('logGroupName chooses CloudWatch Logs, channelArn CloudTrail Lake', () => {
    expect(resolve(GROUP).destination.kind).toBe('cloudwatch-logs');
    expect(resolve({ channelArn: CHANNEL_ARN }).destination.kind).toBe('cloudtrail-lake');
  });

  it('reads AUDITLAKE_LOG_GROUP and AUDITLAKE_LOG_STREAM; options win over the environment, of either destination', () => {
    const env = { AUDITLAKE_LOG_GROUP: 'from-env', AUDITLAKE_LOG_STREAM: 'stream-env', AWS_REGION: 'us-west-2' };
    expect(logs(resolveAuditSinkOptions({ env }))).toMatchObject({ logGroupName: 'from-env', logStreamName: 'stream-env', generatedStreamName: false, region: 'us-west-2' });
    expect(logs(resolveAuditSinkOptions({ env, logGroupName: 'mine', logStreamName: 's1' }))).toMatchObject({ logGroupName: 'mine', logStreamName: 's1' });
    // A channel given in code beats a log group in the environment, and the other way round.
    expect(resolveAuditSinkOptions({ env, channelArn: CHANNEL_ARN }).destination.kind).toBe('cloudtrail-lake');
    expect(resolveAuditSinkOptions({ env: { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AWS_REGION: 'us-west-2' }, logGroupName: 'g' }).destination.kind).toBe('cloudwatch-logs');
  });

  it('refuses both, naming the rule', () => {
    expect(thrown(() => resolve({ ...GROUP, channelArn: CHANNEL_ARN })).message).toBe(
      'Configuration: logGroupName is invalid, expected not to be given with channelArn: give channelArn (CloudTrail Lake) or logGroupName (CloudWatch Logs), not both (actual: "/app/audit")',
    );
    expect(thrown(() => resolveAuditSinkOptions({ env: { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AUDITLAKE_LOG_GROUP: 'g', AWS_REGION: 'us-east-1' } })).message).toMatch(
      /^Configuration: AUDITLAKE_LOG_GROUP is invalid, expected not to be set with AUDITLAKE_CHANNEL_ARN/,
    );
  });

  it('refuses neither, naming both', () => {
    const message = thrown(() => createAuditSink({ env: {} })).message;
    expect(message).toMatch(/^Configuration: channelArn is invalid, expected a channel ARN .* for CloudTrail Lake, or else a logGroupName for CloudWatch Logs/);
    expect(message).toContain('AUDITLAKE_LOG_GROUP');
  });

  it.each<[string, AuditSinkOptions, string]>([
    ['externalId with a log group', { ...GROUP, externalId: 'ext-1' }, 'Configuration: externalId is invalid, expected not to be given with logGroupName: it is an option of CloudTrail Lake (channelArn) (actual: "ext-1")'],
    ['checksum with a log group', { ...GROUP, checksum: true }, 'Configuration: checksum is invalid, expected not to be given with logGroupName'],
    ['logStreamName with a channel', { channelArn: CHANNEL_ARN, logStreamName: 's' }, 'Configuration: logStreamName is invalid, expected not to be given with channelArn: it is an option of CloudWatch Logs (logGroupName)'],
    ['createLogGroup with a channel', { channelArn: CHANNEL_ARN, createLogGroup: true }, 'Configuration: createLogGroup is invalid, expected not to be given with channelArn'],
  ])('refuses an option of the other destination: %s', (_name, options, message) => {
    expect(thrown(() => resolve(options)).message.startsWith(message)).toBe(true);
  });
});

describe('CloudWatch Logs options', () => {
  it('takes the region from the option, then AWS_REGION, then AWS_DEFAULT_REGION, and derives the endpoint', () => {
    expect(logs(resolve(GROUP))).toMatchObject({ region: 'eu-west-1', endpoint: 'https://logs.eu-west-1.amazonaws.com' });
    expect(logs(resolveAuditSinkOptions({ logGroupName: 'g', env: { AWS_REGION: 'cn-north-1', AWS_DEFAULT_REGION: 'us-east-1' } }))).toMatchObject({
      region: 'cn-north-1',
      endpoint: 'https://logs.cn-north-1.amazonaws.com.cn',
    });
    expect(logs(resolveAuditSinkOptions({ logGroupName: 'g', env: { AWS_DEFAULT_REGION: 'us-gov-west-1' } })).endpoint).toBe('https://logs.us-gov-west-1.amazonaws.com');
    expect(defaultLogsEndpoint('us-isob-east-1')).toBe('https://logs.us-isob-east-1.sc2s.sgov.gov');
    expect(defaultLogsEndpoint('eusc-de-east-1')).toBe('https://logs.eusc-de-east-1.amazonaws.eu');
  });

  it('needs a region, unless a custom send makes every call', () => {
    expect(thrown(() => resolve({ logGroupName: 'g' })).message).toBe(
      'Configuration: region is invalid, expected an AWS region such as us-east-1 for CloudWatch Logs, given as the option, AWS_REGION or AWS_DEFAULT_REGION (actual: undefined)',
    );
    expect(thrown(() => resolveAuditSinkOptions({ logGroupName: 'g', env: { AWS_REGION: 'Frankfurt' } })).message).toMatch(/^Configuration: AWS_REGION is invalid/);
    expect(logs(resolve({ logGroupName: 'g', logStreamName: 's', send: async () => ({}) }))).toMatchObject({ region: undefined, endpoint: undefined });
  });

  it('takes the endpoint from the option, AUDITLAKE_ENDPOINT, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL, in that order', () => {
    const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://generic:1', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://logs:2', AUDITLAKE_ENDPOINT: 'http://ours:3' };
    const endpoint = (e: Record<string, string>, o: AuditSinkOptions = {}) => logs(resolveAuditSinkOptions({ logGroupName: 'g', env: e, ...o })).endpoint;
    expect(endpoint(env, { endpoint: 'http://option:4' })).toBe('http://option:4');
    expect(endpoint(env)).toBe('http://ours:3');
    expect(endpoint({ ...env, AUDITLAKE_ENDPOINT: '' })).toBe('http://logs:2');
    expect(endpoint({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://generic:1', AWS_ENDPOINT_URL_CLOUDTRAIL_DATA: 'http://lake:5' })).toBe('http://generic:1');
    expect(thrown(() => endpoint({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'logs.local' })).message).toMatch(/^Configuration: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS is invalid/);
  });

  it('defaults the stream to one per process, <hostname>-<pid>-<8 hex>, and creates it; never the group', () => {
    const first = logs(resolve(GROUP));
    const host = (hostname() || 'host').replace(/[:*]/g, '-');
    expect(first.logStreamName).toMatch(new RegExp(`^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{8}$`));
    expect(first).toMatchObject({ generatedStreamName: true, createLogStream: AUDIT_SINK_DEFAULTS.createLogStream, createLogGroup: AUDIT_SINK_DEFAULTS.createLogGroup });
    expect(AUDIT_SINK_DEFAULTS).toMatchObject({ createLogStream: true, createLogGroup: false });
    expect(logs(resolve(GROUP)).logStreamName).toBe(first.logStreamName);
    expect(defaultLogStreamName()).toBe(first.logStreamName);
  });

  it('uses CloudWatch Logs batch ceilings: 10,000 events and 1,048,576 bytes by default and at most', () => {
    expect(logs(resolve(GROUP))).toMatchObject({ maxBatchEvents: 10_000, maxBatchBytes: 1_048_576 });
    expect(logs(resolve({ ...GROUP, maxBatchEvents: 500, maxBatchBytes: 4096 }))).toMatchObject({ maxBatchEvents: 500, maxBatchBytes: 4096 });
    expect(thrown(() => resolve({ ...GROUP, maxBatchEvents: 10_001 })).message).toBe('Configuration: maxBatchEvents is invalid, expected an integer from 1 to 10000 (actual: 10001)');
    expect(thrown(() => resolve({ ...GROUP, maxBatchBytes: 1_048_577 })).message).toBe('Configuration: maxBatchBytes is invalid, expected an integer from 1024 to 1048576 (actual: 1048577)');
    // The CloudTrail Lake ceilings are unchanged.
    expect(thrown(() => resolve({ channelArn: CHANNEL_ARN, maxBatchEvents: 101 })).message).toMatch(/from 1 to 100 \(actual: 101\)/);
  });

  it('makes recipientAccountId optional: none unless given, and then checked', () => {
    expect(resolve(GROUP).recipientAccountId).toBeUndefined();
    expect(resolve({ ...GROUP, recipientAccountId: '111122223333' }).recipientAccountId).toBe('111122223333');
    expect(thrown(() => resolve({ ...GROUP, recipientAccountId: '1234' })).message).toMatch(/^Configuration: recipientAccountId is invalid, expected a 12-digit AWS account id/);
  });

  it.each<[string, AuditSinkOptions, string]>([
    ['a group name with a space', { ...GROUP, logGroupName: 'my group' }, 'Configuration: logGroupName is invalid, expected a log group name: 1-512 characters of [A-Za-z0-9._/#-], not starting with aws/ (actual: "my group")'],
    ['a group name under aws/', { ...GROUP, logGroupName: 'aws/lambda' }, 'Configuration: logGroupName is invalid'],
    ['a group name of 513 characters', { ...GROUP, logGroupName: 'g'.repeat(513) }, 'Configuration: logGroupName is invalid'],
    ['a group name that is not a string', { ...GROUP, logGroupName: 7 as never }, 'Configuration: logGroupName is invalid'],
    ['a stream name with a colon', { ...GROUP, logStreamName: 'a:b' }, 'Configuration: logStreamName is invalid, expected a log stream name: 1-512 characters without : or * (actual: "a:b")'],
    ['an empty stream name', { ...GROUP, logStreamName: '' }, 'Configuration: logStreamName is invalid'],
    ['createLogStream as a string', { ...GROUP, createLogStream: 'yes' as never }, 'Configuration: createLogStream is invalid, expected true or false'],
    ['a group to create without its stream', { ...GROUP, createLogGroup: true, createLogStream: false }, 'Configuration: createLogStream is invalid, expected true when createLogGroup is true'],
    ['creating with a custom send', { ...GROUP, send: async () => ({}), createLogStream: true }, 'Configuration: createLogStream is invalid, expected not true with a custom send'],
    ['the default stream with a custom send', { ...GROUP, send: async () => ({}) }, 'Configuration: logStreamName is invalid, expected the name of an existing log stream when send is given'],
    ['the default stream without creating it', { ...GROUP, createLogStream: false }, 'Configuration: logStreamName is invalid, expected the name of an existing log stream when createLogStream is false'],
    ['a send that is not a function', { ...GROUP, send: 'aws' as never }, 'Configuration: send is invalid'],
  ])('throws on %s', (_name, options, message) => {
    expect(thrown(() => resolve(options)).message.startsWith(message)).toBe(true);
  });

  it('names the environment variable a bad value came from', () => {
    expect(thrown(() => resolveAuditSinkOptions({ env: { AUDITLAKE_LOG_GROUP: 'a b', AWS_REGION: 'us-east-1' } })).message).toMatch(/^Configuration: AUDITLAKE_LOG_GROUP is invalid/);
    expect(thrown(() => resolveAuditSinkOptions({ env: { AUDITLAKE_LOG_GROUP: 'g', AUDITLAKE_LOG_STREAM: 'x*', AWS_REGION: 'us-east-1' } })).message).toMatch(/^Configuration: AUDITLAKE_LOG_STREAM is invalid/);
  });

  it('knows the new options (no unknown-option report)', () => {
    expect(resolve({ ...GROUP, logStreamName: 's', createLogStream: true, createLogGroup: true }).unknownOptions).toEqual([]);
  });
});
