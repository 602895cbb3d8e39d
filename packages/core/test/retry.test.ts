import { describe, expect, it } from 'vitest';
import { AwsRequestError } from '../src/index.js';
import { backoffDelayMs, classifyRequestFailure, LAKE_CONFIGURATION_ERRORS } from '../src/internal.js';

const ours = (errorCode: string, statusCode?: number, retryAfterMs?: number) => new AwsRequestError('m', { errorCode, statusCode, retryAfterMs });
const sdk = (name: string, httpStatusCode: number, extra: object = {}) => Object.assign(new Error('m'), { name, $metadata: { httpStatusCode }, ...extra });

describe('classifyRequestFailure', () => {
  it.each([
    ['429', ours('Http429', 429), { retryable: true, throttled: true, configuration: false }],
    ['ThrottlingException on a 400', ours('ThrottlingException', 400), { retryable: true, throttled: true }],
    ['SDK TooManyRequestsException', sdk('TooManyRequestsException', 400), { retryable: true, throttled: true, code: 'TooManyRequestsException' }],
    ['SDK $retryable.throttling', sdk('Whatever', 400, { $retryable: { throttling: true } }), { retryable: true, throttled: true }],
    ['500', ours('InternalFailure', 500), { retryable: true, throttled: false }],
    ['a bare 500 without a name', ours('Http500', 500), { retryable: true, configuration: false }],
    ['a bare 499 without a name', ours('Http499', 499), { retryable: false }],
    ['408', ours('Http408', 408), { retryable: true }],
    ['502 without a name', ours('Http502', 502), { retryable: true }],
    ['504', ours('GatewayTimeout', 504), { retryable: true }],
    ['timeout', ours('TimeoutError'), { retryable: true }],
    ['ECONNRESET', ours('ECONNRESET'), { retryable: true }],
    ['a raw Node ECONNREFUSED', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), { retryable: true, code: 'ECONNREFUSED' }],
    ['ExpiredTokenException', ours('ExpiredTokenException', 400), { retryable: true }],
    ['CredentialsProviderError (configuration: not retried)', Object.assign(new Error('no creds'), { name: 'CredentialsProviderError' }), { retryable: false, configuration: true }],
    ['CredentialsTimeout (asked again on the next attempt)', ours('CredentialsTimeout'), { retryable: true, configuration: false }],
    ['a 403 that claims throttling stays a configuration fault', ours('ThrottlingException', 403), { retryable: false, throttled: false, configuration: true }],
    ['ChannelNotFound', ours('ChannelNotFound', 400), { retryable: false, configuration: true }],
    ['ChannelInsufficientPermission', ours('ChannelInsufficientPermission', 400), { retryable: false, configuration: true }],
    ['InvalidChannelARN (SDK)', sdk('InvalidChannelARN', 400), { retryable: false, configuration: true }],
    ['UnsupportedOperationException', ours('UnsupportedOperationException', 400), { retryable: false, configuration: true }],
    ['403 of any name', ours('Forbidden', 403), { retryable: false, configuration: true }],
    ['InvalidSignatureException', ours('InvalidSignatureException', 403), { retryable: false, configuration: true }],
    ['ValidationException', ours('ValidationException', 400), { retryable: false, configuration: false }],
    ['DuplicatedAuditEventId', ours('DuplicatedAuditEventId', 400), { retryable: false, configuration: false }],
    ['413', ours('Http413', 413), { retryable: false }],
    ['not an error at all', 'a string', { retryable: false, code: 'UnknownError', message: 'a string' }],
    ['ChannelNotFound is not a configuration fault of every service', ours('ChannelNotFound', 400), { retryable: false, configuration: false }, false],
    ['undefined', undefined, { retryable: false, code: 'UnknownError' }],
  ])('%s', (_name, error, expected, lake = true) => {
    expect(classifyRequestFailure(error, lake ? LAKE_CONFIGURATION_ERRORS : undefined)).toMatchObject(expected);
  });

  it('reads Retry-After from our errors and from SDK responses', () => {
    expect(classifyRequestFailure(ours('ThrottlingException', 429, 2500)).retryAfterMs).toBe(2500);
    expect(classifyRequestFailure(sdk('ThrottlingException', 429, { $response: { headers: { 'retry-after': '3' } } })).retryAfterMs).toBe(3000);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  const plain = { throttled: false, retryAfterMs: undefined };
  it('is uniform in [0, base·2^(attempt-1)], capped', () => {
    expect(backoffDelayMs(1, plain, 100, 20_000, () => 0.999999)).toBe(99);
    expect(backoffDelayMs(4, plain, 100, 20_000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(30, plain, 100, 20_000, () => 0.999999)).toBe(19_999);
    expect(backoffDelayMs(3, plain, 100, 20_000, () => 0)).toBe(0);
  });

  it('backs off from a four times larger base after throttling', () => {
    expect(backoffDelayMs(2, { throttled: true, retryAfterMs: undefined }, 100, 20_000, () => 0.5)).toBe(400);
  });

  it('never waits less than Retry-After, even beyond the cap', () => {
    expect(backoffDelayMs(1, { throttled: true, retryAfterMs: 30_000 }, 100, 20_000, () => 0.1)).toBe(30_000);
  });

  it('spreads retries: 1,000 draws fill the range', () => {
    const draws = Array.from({ length: 1000 }, () => backoffDelayMs(5, plain, 100, 20_000, Math.random));
    expect(Math.min(...draws)).toBeLessThan(200);
    expect(Math.max(...draws)).toBeGreaterThan(1400);
    expect(Math.max(...draws)).toBeLessThan(1600);
  });
});
