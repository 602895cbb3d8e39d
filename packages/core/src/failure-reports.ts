import type { Clock } from './clock.js';
import type { DeliveryObservation } from './delivery.js';
import type { Reporter } from './diagnostics.js';
import { describeFailure } from './retry.js';

/** A failure that lasts this long is reported, whatever the retry deadline. */
export const PERSISTENT_FAILURE_MS = 5000;
/** Requests that must fail in a row (refused, reset, timed out, 5xx) before the destination counts as down: one reset amid successes does not. */
export const DOWN_AFTER_FAILURES = 2;

/**
 * Turns request observations into what a person must see: a configuration fault at once (once
 * per cause), a failure that persists within seconds of its start (once per outage), and the
 * recovery from it. It also remembers the last failure, which dead letters quote.
 */
export class FailureReports {
  #since: number | undefined;
  #reported = false;
  #last: string | undefined;
  /** Requests failed in a row with a fault other than throttling. */
  #failedInRow = 0;

  constructor(
    readonly reporter: Reporter,
    readonly clock: Clock,
    readonly where: string,
    readonly waiting: () => number,
  ) {}

  /**
   * The destination is down: the last `DOWN_AFTER_FAILURES` requests failed with a retryable
   * fault other than throttling (refused, reset, timed out, 5xx), and none succeeded since. A
   * throttling service is up: it takes requests at its own pace.
   */
  get down(): boolean {
    return this.#failedInRow >= DOWN_AFTER_FAILURES;
  }

  /** The last request failure, as one line (`ECONNREFUSED: …`), until a request succeeds again. */
  get lastFailure(): string | undefined {
    return this.#last;
  }

  observe(observation: DeliveryObservation): void {
    if (observation.type === 'response') return this.#recovered();
    if (observation.type !== 'failure') return;
    const { failure } = observation;
    const what = describeFailure(failure);
    this.#last = what;
    this.#failedInRow = failure.retryable && !failure.throttled ? this.#failedInRow + 1 : 0;
    if (failure.configuration) {
      this.reporter.report('error', `request:${failure.code}`, `auditlake: ${this.where} failed with ${what}. This is a configuration fault; the events are dead-lettered (replay them once it is fixed).`);
      return;
    }
    if (!failure.retryable) {
      this.reporter.report('warn', `request:${failure.code}`, `auditlake: ${this.where} failed with ${what}; the events are dead-lettered`);
      return;
    }
    const now = this.clock.now();
    this.#since ??= now;
    if (!this.#reported && now - this.#since >= PERSISTENT_FAILURE_MS) {
      this.#reported = true;
      this.reporter.diagnostics.warn(`auditlake: ${this.where} has been failing for ${Math.round((now - this.#since) / 1000)} s, last with ${what}; retrying, ${this.waiting()} event(s) waiting`);
    }
  }

  #recovered(): void {
    if (this.#reported) this.reporter.diagnostics.warn(`auditlake: ${this.where} works again after ${Math.round((this.clock.now() - (this.#since as number)) / 1000)} s of failures`);
    this.#since = undefined;
    this.#reported = false;
    this.#last = undefined;
    this.#failedInRow = 0;
  }
}
