import { describe, expect, it } from 'vitest';
import { AUDIT_SINK_DEFAULTS, ConfigurationError, createAuditSink, isConfigurationError, type AuditSinkOptions } from '../src/index.js';
import { resolveAuditSinkOptions } from '../src/internal.js';
import { CHANNEL_ARN } from './helpers.js';

const resolve = (options: AuditSinkOptions) => resolveAuditSinkOptions({ env: {}, ...options });

describe('resolveAuditSinkOptions', () => {
  it('takes region and account from the channel ARN, and the endpoint from the region', () => {
    const resolved = resolve({ channelArn: 'arn:aws-cn:cloudtrail:cn-north-1:111122223333:channel/abc' });
    expect(resolved).toMatchObject({ recipientAccountId: '111122223333', destination: { region: 'cn-north-1', endpoint: 'https://cloudtrail-data.cn-north-1.amazonaws.com.cn' } });
    expect(resolve({ channelArn: CHANNEL_ARN }).destination.endpoint).toBe('https://cloudtrail-data.us-east-1.amazonaws.com');
  });

  it('applies the documented defaults', () => {
    const resolved = resolve({ channelArn: CHANNEL_ARN });
    for (const key of ['flushIntervalMs', 'maxQueueEvents', 'maxQueueBytes', 'maxConcurrentRequests', 'requestTimeoutMs', 'retryDeadlineMs', 'shutdownTimeoutMs', 'maxBlockMs', 'persistOnExit'] as const) {
      expect(resolved[key]).toBe(AUDIT_SINK_DEFAULTS[key]);
    }
    for (const key of ['maxBatchEvents', 'maxBatchBytes', 'checksum'] as const) expect((resolved.destination as unknown as Record<string, unknown>)[key]).toBe(AUDIT_SINK_DEFAULTS[key]);
    expect(resolved.deadLetter).toBe('auditlake-dead-letter.jsonl');
    expect(resolved.spool).toBeUndefined();
    expect(Object.isFrozen(AUDIT_SINK_DEFAULTS)).toBe(true);
  });

  it('reads AUDITLAKE_* variables; options win over them', () => {
    const env = {
      AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN,
      AUDITLAKE_EXTERNAL_ID: 'ext-123',
      AUDITLAKE_ENDPOINT: 'http://127.0.0.1:4599',
      AUDITLAKE_DEAD_LETTER: '/tmp/letters.jsonl',
    };
    expect(resolveAuditSinkOptions({ env })).toMatchObject({ destination: { externalId: 'ext-123', endpoint: 'http://127.0.0.1:4599' }, deadLetter: '/tmp/letters.jsonl' });
    expect(resolveAuditSinkOptions({ env, endpoint: 'https://other.example' }).destination.endpoint).toBe('https://other.example');
  });

  it('does not read AWS_REGION: the channel lives in its ARN’s region', () => {
    expect(resolveAuditSinkOptions({ channelArn: CHANNEL_ARN, env: { AWS_REGION: 'eu-west-1' } }).destination.region).toBe('us-east-1');
    expect(resolve({ channelArn: CHANNEL_ARN, region: 'eu-west-1' }).destination.region).toBe('eu-west-1');
  });

  it.each<[string, AuditSinkOptions, string]>([
    ['no channel ARN', {}, 'Configuration: channelArn is invalid, expected a channel ARN (arn:<partition>:cloudtrail:<region>:<12-digit account>:channel/<id>) for CloudTrail Lake, or else a logGroupName for CloudWatch Logs, given as the option or AUDITLAKE_CHANNEL_ARN / AUDITLAKE_LOG_GROUP (actual: undefined)'],
    ['a malformed ARN', { channelArn: 'arn:aws:cloudtrail:us-east-1:123:channel/x' }, 'Configuration: channelArn is invalid, expected arn:<partition>:cloudtrail:<region>:<12-digit account>:channel/<id> (actual: "arn:aws:cloudtrail:us-east-1:123:channel/x")'],
    ['an ARN of another resource', { channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/x' }, 'Configuration: channelArn is invalid'],
    ['maxBatchEvents 101', { maxBatchEvents: 101 }, 'Configuration: maxBatchEvents is invalid, expected an integer from 1 to 100 (actual: 101)'],
    ['maxBatchEvents 0', { maxBatchEvents: 0 }, 'Configuration: maxBatchEvents is invalid, expected an integer from 1 to 100 (actual: 0)'],
    ['maxBatchEvents 1.5', { maxBatchEvents: 1.5 }, 'Configuration: maxBatchEvents is invalid, expected an integer from 1 to 100 (actual: 1.5)'],
    ['maxBatchBytes over the ceiling', { maxBatchBytes: 1_000_001 }, 'Configuration: maxBatchBytes is invalid, expected an integer from 1024 to 1000000 (actual: 1000001)'],
    ['maxQueueBytes below maxBatchBytes', { maxQueueBytes: 5000 }, 'Configuration: maxQueueBytes is invalid, expected at least maxBatchBytes (1000000) (actual: 5000)'],
    ['maxConcurrentRequests as a string', { maxConcurrentRequests: '4' as unknown as number }, 'Configuration: maxConcurrentRequests is invalid, expected an integer from 1 to 100 (actual: "4")'],
    ['negative flushIntervalMs', { flushIntervalMs: -1 }, 'Configuration: flushIntervalMs is invalid'],
    ['NaN retryDeadlineMs', { retryDeadlineMs: Number.NaN }, 'Configuration: retryDeadlineMs is invalid'],
    ['an endpoint that is not a URL', { endpoint: 'localhost:4599' }, 'Configuration: endpoint is invalid, expected an http:// or https:// URL (actual: "localhost:4599")'],
    ['an externalId with spaces', { externalId: 'a b' }, 'Configuration: externalId is invalid'],
    ['a recipientAccountId of 11 digits', { recipientAccountId: '01234567890' }, 'Configuration: recipientAccountId is invalid, expected a 12-digit AWS account id'],
    ['credentials without a secret', { credentials: { accessKeyId: 'A' } as never }, 'Configuration: credentials is invalid'],
    ['a send that is not a function', { send: {} as never }, 'Configuration: send is invalid'],
    ['an empty eventSource', { eventSource: ' ' }, 'Configuration: eventSource is invalid, expected a non-empty string'],
    ['a bad redact path', { redact: ['a..b'] }, 'Configuration: redact[0] is invalid'],
    ['redact not an array', { redact: 'password' as never }, 'Configuration: redact is invalid'],
    ['a deadLetter that is a number', { deadLetter: 3 as never }, 'Configuration: deadLetter is invalid'],
    ['diagnostics without error()', { diagnostics: { debug() {}, warn() {} } as never }, 'Configuration: diagnostics is invalid'],
  ])('throws on %s, naming the option, the rule and the value', (_name, options, message) => {
    const channel = 'channelArn' in options ? {} : { channelArn: _name === 'no channel ARN' ? undefined : CHANNEL_ARN };
    let error: unknown;
    try {
      resolve({ ...channel, ...options });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(isConfigurationError(error)).toBe(true);
    expect((error as Error).message.startsWith(message)).toBe(true);
  });

  it('names the environment variable when that is where the bad value came from', () => {
    expect(() => resolveAuditSinkOptions({ env: { AUDITLAKE_CHANNEL_ARN: 'nope' } })).toThrow('Configuration: AUDITLAKE_CHANNEL_ARN is invalid');
    expect(() => resolveAuditSinkOptions({ env: { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN, AUDITLAKE_ENDPOINT: 'ftp://x' } })).toThrow('Configuration: AUDITLAKE_ENDPOINT is invalid');
  });

  it('on AWS Lambda (read-only but for /tmp), dead letters and a relative spool go under /tmp', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'orders', AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN };
    expect(resolveAuditSinkOptions({ env: lambda })).toMatchObject({ deadLetter: '/tmp/auditlake-dead-letter.jsonl', fallbackDeadLetterFile: '/tmp/auditlake-dead-letter.jsonl' });
    expect(resolveAuditSinkOptions({ env: { ...lambda, AUDITLAKE_SPOOL_DIR: 'spool', AUDITLAKE_DEAD_LETTER: 'dead/letters.jsonl' } })).toMatchObject({ spool: { dir: '/tmp/spool' }, deadLetter: '/tmp/dead/letters.jsonl' });
    expect(resolveAuditSinkOptions({ env: lambda, spoolDir: '/mnt/efs/spool' }).spool?.dir).toBe('/mnt/efs/spool');
    expect(resolveAuditSinkOptions({ env: { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN } }).deadLetter).toBe('auditlake-dead-letter.jsonl');
  });

  it('reports an unknown option with the closest known name, without failing', () => {
    expect(resolve({ channelArn: CHANNEL_ARN, endPoint: 'http://x' } as AuditSinkOptions).unknownOptions).toEqual([{ name: 'endPoint', suggestion: 'endpoint' }]);
    expect(resolve({ channelArn: CHANNEL_ARN, zzz: 1 } as AuditSinkOptions).unknownOptions).toEqual([{ name: 'zzz', suggestion: undefined }]);
  });

  it('reads the AWS SDKs’ endpoint variables below AUDITLAKE_ENDPOINT', () => {
    const base = { AUDITLAKE_CHANNEL_ARN: CHANNEL_ARN };
    expect(resolveAuditSinkOptions({ env: { ...base, AWS_ENDPOINT_URL: 'http://general:1' } }).destination.endpoint).toBe('http://general:1');
    expect(resolveAuditSinkOptions({ env: { ...base, AWS_ENDPOINT_URL: 'http://general:1', AWS_ENDPOINT_URL_CLOUDTRAIL_DATA: 'http://specific:2' } }).destination.endpoint).toBe('http://specific:2');
    expect(resolveAuditSinkOptions({ env: { ...base, AWS_ENDPOINT_URL_CLOUDTRAIL_DATA: 'http://specific:2', AUDITLAKE_ENDPOINT: 'http://ours:3' } }).destination.endpoint).toBe('http://ours:3');
  });

  it('createAuditSink throws the same way, at construction', () => {
    expect(() => createAuditSink({ env: {} })).toThrow(/^Configuration: channelArn is invalid/);
  });
});
