/**
 * The lake's optional request-rate limit (`maxTps`): a token bucket per account and API
 * (PutAuditEvents and the control plane count apart, as the service's quotas do), refilled at
 * `maxTps` per second with a burst of `maxTps`, on the lake's injected clock.
 */
export class RequestRateLimiter {
  readonly #maxTps: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(maxTps: number, now: () => number) {
    this.#maxTps = maxTps;
    this.#now = now;
  }

  /** Takes a token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#maxTps, at: now };
    bucket.tokens = Math.min(this.#maxTps, bucket.tokens + (Math.max(0, now - bucket.at) * this.#maxTps) / 1000);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
