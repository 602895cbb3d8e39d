import { sleep, type Clock } from './clock.js';
import type { Destination, QueuedEvent, SendOutcome } from './destination.js';
import { AwsRequestError } from './errors.js';
import { backoffDelayMs, describeFailure, type RequestFailure } from './retry.js';

/** What happened to a request, for stats, reports and the request rate. */
export type DeliveryObservation =
  | { type: 'request'; events: number }
  | { type: 'response'; latencyMs: number; throttled: boolean }
  | { type: 'failure'; failure: RequestFailure; latencyMs: number }
  | { type: 'retry'; events: number; delayMs: number; reason: string };

export interface DeliveryContext {
  readonly destination: Destination;
  readonly clock: Clock;
  readonly requestTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryDeadlineMs: number;
  /** Aborted when shutdown starts: a backoff wait ends at once, for a last attempt. */
  readonly hurry: AbortSignal;
  /** Aborted when shutdown runs out of time: requests are cut off, what is left is abandoned. */
  readonly stop: AbortSignal;
  /** The request rate learned from throttling (rate-control.ts). */
  readonly pace: { readonly limited: boolean; waitMs(): number };
  /** Queued events that fit into a batch about to be resent (taken out of the queue). */
  topUp(events: readonly QueuedEvent[]): QueuedEvent[];
  /** Whether someone waits for one of these events now (`flush()`, an exporter's `deliver()`). */
  awaited(events: readonly QueuedEvent[]): boolean;
  delivered(events: QueuedEvent[]): void;
  deadLettered(events: QueuedEvent[], code: string, message: string): void;
  /** Events given up on at shutdown, and the last failure they met, if any. */
  abandoned(events: QueuedEvent[], lastFailure: string | undefined): void;
  observe(observation: DeliveryObservation): void;
}

/**
 * Sends one batch and sees every event in it to an outcome: retryable request failures resend
 * the batch, passing per-event failures resend only those events (same ids, in acceptance
 * order), everything else is dead-lettered with the service's code. Retries stop at each
 * event's deadline; every event is sent at least once. A resend waits for its backoff and for
 * the learned request rate; after throttling it takes queued events along (appended to `batch`,
 * the scheduler's record of what this request holds).
 */
export async function deliver(batch: QueuedEvent[], ctx: DeliveryContext): Promise<void> {
  let events = batch;
  let lastFailure: string | undefined;
  let lateAttempts = 0;
  for (let attempt = 1; ; attempt++) {
    for (const event of events) event.attempts++;
    ctx.observe({ type: 'request', events: events.length });
    let retry: QueuedEvent[];
    let failure: Pick<RequestFailure, 'throttled' | 'retryAfterMs'>;
    const started = ctx.clock.now();
    try {
      const outcome = await sendWithTimeout(ctx, events);
      ctx.observe({ type: 'response', latencyMs: ctx.clock.now() - started, throttled: outcome.throttled });
      settle(ctx, outcome);
      retry = outcome.retry.sort((a, b) => a.seq - b.seq);
      failure = { throttled: outcome.throttled, retryAfterMs: undefined };
      if (retry.length > 0) lastFailure = outcome.retryReason;
    } catch (error) {
      if (ctx.stop.aborted) return ctx.abandoned(events, lastFailure);
      const classified = ctx.destination.classify(error);
      ctx.observe({ type: 'failure', failure: classified, latencyMs: ctx.clock.now() - started });
      if (!classified.retryable) return ctx.deadLettered(events, classified.code, classified.message);
      retry = events;
      failure = classified;
      lastFailure = describeFailure(classified);
    }
    if (retry.length === 0) return;
    // The pace gives way when someone waits for these events (flush(), shutdown), and in the
    // last quarter of the oldest one's time before its deadline: waiting for the fleet's turn
    // never costs an event, nor keeps a flush() waiting.
    const now = ctx.clock.now();
    const paceUntil = ctx.hurry.aborted || ctx.awaited(retry) ? now : oldestAcceptedAt(retry) + ctx.retryDeadlineMs * 0.75;
    // While paced, the learned rate spaces the resends after throttling: a backoff growing with
    // each attempt on top of it would idle the sender and bunch the fleet's resends together.
    // Once the pace gives way, the backoff grows again from its start.
    const paced = failure.throttled && ctx.pace.limited;
    const backoffAttempt = !paced ? attempt : now < paceUntil ? 1 : ++lateAttempts;
    const delay = Math.max(backoffDelayMs(backoffAttempt, failure, ctx.retryBaseDelayMs, ctx.retryMaxDelayMs, ctx.clock.random), Math.min(ctx.pace.waitMs(), paceUntil - now));
    const resumeAt = now + delay;
    const expired = retry.filter((event) => event.acceptedAt + ctx.retryDeadlineMs < resumeAt);
    if (expired.length > 0) {
      retry = retry.filter((event) => event.acceptedAt + ctx.retryDeadlineMs >= resumeAt);
      ctx.deadLettered(expired, 'RetryDeadline', `not delivered within retryDeadlineMs (${ctx.retryDeadlineMs} ms), after ${attempt} attempt(s); last failure: ${lastFailure}`);
    }
    events = retry;
    if (events.length === 0) return;
    ctx.observe({ type: 'retry', events: events.length, delayMs: delay, reason: lastFailure ?? '' });
    // Once shutdown starts, a wait ends at once: the last attempt goes out now.
    if (!ctx.hurry.aborted) await waitForTurn(ctx, delay, paceUntil);
    else if (!(await sleep(ctx.clock, delay, ctx.stop))) return ctx.abandoned(events, lastFailure);
    if (ctx.stop.aborted) return ctx.abandoned(events, lastFailure);
    if (failure.throttled) {
      const more = ctx.topUp(events);
      // `events` may be `batch` itself: extend the copy first.
      events = events.concat(more);
      batch.push(...more);
    }
  }
}

/**
 * The backoff, then as long as the request rate asks (another request may have taken the turn
 * meanwhile), but not past `paceUntil`; shutdown cuts both short.
 */
async function waitForTurn(ctx: DeliveryContext, backoffMs: number, paceUntil: number): Promise<void> {
  for (let wait = backoffMs; wait > 0; wait = Math.min(ctx.pace.waitMs(), paceUntil - ctx.clock.now())) {
    if (!(await sleep(ctx.clock, wait, ctx.hurry))) return;
  }
}

function oldestAcceptedAt(events: readonly QueuedEvent[]): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const event of events) oldest = Math.min(oldest, event.acceptedAt);
  return oldest;
}

function settle(ctx: DeliveryContext, outcome: SendOutcome): void {
  if (outcome.delivered.length > 0) ctx.delivered(outcome.delivered);
  for (const { event, code, message } of outcome.rejected) ctx.deadLettered([event], code, message);
}

/** One call, bounded by `requestTimeoutMs` whatever the call does with its abort signal. */
async function sendWithTimeout(ctx: DeliveryContext, events: QueuedEvent[]): Promise<SendOutcome> {
  const controller = new AbortController();
  let fail: (reason: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // Only this function aborts the controller, so it ends the race itself: a listener on a new
  // signal costs several microseconds per request.
  const abort = (reason: unknown) => {
    controller.abort(reason);
    fail(controller.signal.reason);
  };
  const onStop = () => abort(ctx.stop.reason);
  if (ctx.stop.aborted) onStop();
  else ctx.stop.addEventListener('abort', onStop, { once: true });
  const timer = ctx.clock.setTimeout(() => {
    abort(new AwsRequestError(`no response within requestTimeoutMs (${ctx.requestTimeoutMs} ms)`, { errorCode: 'TimeoutError' }));
  }, ctx.requestTimeoutMs);
  try {
    return await Promise.race([ctx.destination.send(events, controller.signal), aborted]);
  } finally {
    timer.cancel();
    ctx.stop.removeEventListener('abort', onStop);
  }
}
