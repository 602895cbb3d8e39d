import type { Clock } from './clock.js';
import type { DeliveryObservation } from './delivery.js';

export interface RateControlOptions {
  readonly clock: Clock;
  /** Off: never paces, whatever the service says. */
  readonly enabled: boolean;
  readonly flushIntervalMs: number;
  readonly maxConcurrentRequests: number;
  readonly retryDeadlineMs: number;
  /** Whether a full batch is waiting: the sink has more to send than its rate lets out. */
  readonly backlogged: () => boolean;
  /** Whether the queue is so full that waiting any longer risks `QueueFull`: the pace gives way then. */
  readonly crowded: () => boolean;
  readonly debug?: (message: string) => void;
}

/** The share of the rate kept after a throttle while batches are partial (only latency is at stake). */
export const PARTIAL_BATCH_DECREASE = 0.5;
/** The share kept while full batches wait (throughput is at stake): CUBIC's and the AWS SDKs' β. */
export const FULL_BATCH_DECREASE = 0.7;
/** Each successful request raises the rate by this times √rate (rates in requests/s). */
export const RATE_INCREASE = 0.005;
/** Successful requests in a row after which the climb is twice as steep (ten times at three times as many). */
export const PROBE_REQUESTS = 50;
/** With full batches waiting, seconds back to the throttled rate when that was one request/s (∝ 1/√rate). */
export const FULL_BATCH_RECOVERY_S = 10;
/** Requests remembered to measure the rate actually used. */
const STARTS_KEPT = 16;
/** The longest linger while throttled, and with it the slowest pace. */
const MAX_LINGER_CAP_MS = 60_000;

/**
 * The request rate a sink learns from throttling, so that a fleet of sinks shares one
 * account's quota (PutAuditEvents: 100 requests/s per account, not adjustable) instead of each
 * offering its own share ten times over.
 *
 * Until the service first throttles, nothing is paced: no added latency. A throttle starts a
 * token bucket below the rate in use (once per round of requests: the answers to one burst are
 * one signal), and successes raise it again. The AWS SDKs' adaptive mode (CUBIC on a clock in
 * seconds) suits one client; these curves suit fleets of a few to a thousand senders (figures
 * in bench/fleet.mjs):
 * - a sender whose batches are partial (a small share of a large fleet) halves its rate and
 *   climbs back per successful request, by 0.005·√rate, steeper the longer it goes without a
 *   throttle. Counted in its own requests, a sender at 0.1 request/s probes as slowly as a
 *   thousand-strong fleet needs, and one at 50/s is back within seconds; the √ makes small
 *   shares climb faster relative to their size, so shares tend to even out.
 * - a sender with full batches waiting cuts by 30 % and climbs back on a cubic curve in time,
 *   back to the throttled rate after 10 s/√rate, flat around it, then faster: senders that
 *   compete for throughput tend towards equal shares, as CUBIC flows do (slowly: under a long
 *   overload some hold a smaller share than others for tens of seconds).
 *
 * While paced, a partial batch lingers for one interval of the rate (at most a quarter of
 * `retryDeadlineMs`, and 60 s): fewer, fuller requests. The pace never falls below one request
 * per that longest linger, so a sender never starves. Concurrency follows the rate (Little's
 * law on the measured latency, plus a slot for a batch waiting to be resent). Pacing ends once
 * the rate is twice what the sink uses.
 */
export class RateControl {
  readonly #o: RateControlOptions;
  readonly #maxLingerMs: number;
  readonly #minRate: number;
  #limited = false;
  /** Requests per second while limited. */
  #rate = Number.POSITIVE_INFINITY;
  #tokens = 0;
  #refilledAt = 0;
  /** The rate in use at the last throttle, what was kept of it, and when. */
  #throttledRate = 0;
  #kept = PARTIAL_BATCH_DECREASE;
  #decreasedAt = Number.NEGATIVE_INFINITY;
  /** Successful requests since the last decrease. */
  #successes = 0;
  readonly #starts: number[] = [];
  #latencyMs: number | undefined;

  constructor(options: RateControlOptions) {
    this.#o = options;
    this.#maxLingerMs = Math.max(options.flushIntervalMs, Math.min(MAX_LINGER_CAP_MS, options.retryDeadlineMs / 4));
    this.#minRate = 1000 / Math.max(1000, this.#maxLingerMs);
  }

  /** Whether the service has throttled this sink and it paces its requests. */
  get limited(): boolean {
    return this.#limited;
  }

  /** Requests per second allowed now; `Infinity` when not limited. */
  get rate(): number {
    return this.#limited ? this.#rate : Number.POSITIVE_INFINITY;
  }

  /** How long a partial batch waits to fill. */
  lingerMs(): number {
    if (!this.#pacing()) return this.#o.flushIntervalMs;
    return Math.min(this.#maxLingerMs, Math.max(this.#o.flushIntervalMs, 1000 / this.#rate));
  }

  /** Most requests at once (each holding its slot through its retries). */
  concurrency(): number {
    const max = this.#o.maxConcurrentRequests;
    if (!this.#pacing()) return max;
    const inFlight = Math.ceil((this.#rate * (this.#latencyMs ?? 0)) / 1000);
    return Math.min(max, Math.max(1, inFlight) + 1);
  }

  /** Milliseconds until the rate allows another request; 0 when it may go now. */
  waitMs(): number {
    if (!this.#pacing()) return 0;
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  observe(observation: DeliveryObservation): void {
    if (!this.#o.enabled) return;
    const now = this.#o.clock.now();
    if (observation.type === 'request') return this.#started(now);
    if (observation.type === 'response') return this.#answered(now, observation.latencyMs, observation.throttled);
    // Timeouts and broken connections say nothing about the quota; only throttles do.
    if (observation.type === 'failure' && observation.failure.throttled) this.#answered(now, observation.latencyMs, true);
  }

  /**
   * Limited, and the queue has room to wait in. The rate learned from throttles cannot tell a
   * fleet's quota from throttles that come whatever the rate (a service's own trouble, injected
   * faults); waiting for the pace must never cost events, so a crowded queue sends unpaced.
   */
  #pacing(): boolean {
    return this.#limited && !this.#o.crowded();
  }

  #started(now: number): void {
    if (this.#starts.length === STARTS_KEPT) this.#starts.shift();
    this.#starts.push(now);
    if (!this.#limited) return;
    this.#refill();
    // A request that bypassed the pace (flush, shutdown) takes what is there; it leaves no debt.
    this.#tokens = Math.max(Math.min(0, this.#tokens), this.#tokens - 1);
  }

  #answered(now: number, latencyMs: number, throttled: boolean): void {
    this.#latencyMs = this.#latencyMs === undefined ? latencyMs : this.#latencyMs + 0.2 * (latencyMs - this.#latencyMs);
    // Answers to requests sent before the last decrease describe the old rate: one burst, one signal.
    if (now - latencyMs < this.#decreasedAt) return;
    if (throttled) this.#decrease(now);
    else if (this.#limited) this.#increase(now);
  }

  #decrease(now: number): void {
    const used = Math.min(this.#rate, this.#usedRate(now));
    this.#kept = this.#o.backlogged() ? FULL_BATCH_DECREASE : PARTIAL_BATCH_DECREASE;
    this.#throttledRate = used;
    this.#rate = Math.max(this.#minRate, this.#kept * used);
    this.#decreasedAt = now;
    this.#successes = 0;
    // The next request in 0.5 to 1.5 intervals: senders throttled by one burst do not come back together.
    this.#tokens = 0.5 - this.#o.clock.random();
    this.#refilledAt = now;
    if (!this.#limited) this.#o.debug?.(`auditlake: the service throttles; requests are paced, from ${formatRate(this.#rate)}/s`);
    this.#limited = true;
  }

  #increase(now: number): void {
    this.#refill();
    this.#successes++;
    const probing = this.#successes / PROBE_REQUESTS;
    this.#rate += RATE_INCREASE * Math.sqrt(this.#rate) * (1 + probing * probing);
    if (this.#o.backlogged()) {
      const recoveryS = FULL_BATCH_RECOVERY_S / Math.sqrt(this.#throttledRate);
      const x = ((now - this.#decreasedAt) / 1000 - recoveryS) / recoveryS;
      this.#rate = Math.max(this.#rate, this.#throttledRate * (1 + (1 - this.#kept) * x * x * x));
    }
    if (this.#successes >= STARTS_KEPT && this.#rate >= 2 * this.#usedRate(now)) {
      this.#limited = false;
      this.#rate = Number.POSITIVE_INFINITY;
      this.#o.debug?.(`auditlake: no throttling for ${this.#successes} requests; requests are no longer paced`);
    }
  }

  #refill(): void {
    const now = this.#o.clock.now();
    this.#tokens = Math.min(Math.max(1, this.#rate), this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;
  }

  /** Requests per second started lately: the last few, over the time from the first of them to now (at least a second). */
  #usedRate(now: number): number {
    if (this.#starts.length === 0) return this.#minRate;
    return this.#starts.length / (Math.max(1000, now - (this.#starts[0] as number)) / 1000);
  }
}

function formatRate(rate: number): string {
  return rate >= 10 ? String(Math.round(rate)) : rate.toPrecision(2);
}
