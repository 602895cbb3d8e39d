import { sleep, type Clock } from './clock.js';
import type { Destination, QueuedEvent, SendOutcome } from './destination.js';
import { AwsRequestError } from './errors.js';
import { backoffDelayMs, describeFailure, type RequestFailure } from './retry.js';

/** What happened to a request, for stats, reports and the request rate. */
export type DeliveryObservation =
  | { type: 'request'; events: number }
  | { type: 'response'; latencyMs: number; throttled: boolean }
  | { type: 'failure'; failure: RequestFailure }
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
 * event's deadline; every event is sent at least once.
 */
export async function deliver(batch: QueuedEvent[], ctx: DeliveryContext): Promise<void> {
  let events = batch;
  let lastFailure: string | undefined;
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
      ctx.observe({ type: 'failure', failure: classified });
      if (!classified.retryable) return ctx.deadLettered(events, classified.code, classified.message);
      retry = events;
      failure = classified;
      lastFailure = describeFailure(classified);
    }
    if (retry.length === 0) return;
    const delay = backoffDelayMs(attempt, failure, ctx.retryBaseDelayMs, ctx.retryMaxDelayMs, ctx.clock.random);
    const resumeAt = ctx.clock.now() + delay;
    const expired = retry.filter((event) => event.acceptedAt + ctx.retryDeadlineMs < resumeAt);
    if (expired.length > 0) {
      retry = retry.filter((event) => event.acceptedAt + ctx.retryDeadlineMs >= resumeAt);
      ctx.deadLettered(expired, 'RetryDeadline', `not delivered within retryDeadlineMs (${ctx.retryDeadlineMs} ms), after ${attempt} attempt(s); last failure: ${lastFailure}`);
    }
    events = retry;
    if (events.length === 0) return;
    ctx.observe({ type: 'retry', events: events.length, delayMs: delay, reason: lastFailure ?? '' });
    // Once shutdown starts, a wait ends at once: the last attempt goes out now.
    if (!ctx.hurry.aborted) await sleep(ctx.clock, delay, ctx.hurry);
    else if (!(await sleep(ctx.clock, delay, ctx.stop))) return ctx.abandoned(events, lastFailure);
    if (ctx.stop.aborted) return ctx.abandoned(events, lastFailure);
  }
}

function settle(ctx: DeliveryContext, outcome: SendOutcome): void {
  if (outcome.delivered.length > 0) ctx.delivered(outcome.delivered);
  for (const { event, code, message } of outcome.rejected) ctx.deadLettered([event], code, message);
}

/** One call, bounded by `requestTimeoutMs` whatever the call does with its abort signal. */
async function sendWithTimeout(ctx: DeliveryContext, events: QueuedEvent[]): Promise<SendOutcome> {
  const controller = new AbortController();
  const onStop = () => controller.abort(ctx.stop.reason);
  if (ctx.stop.aborted) onStop();
  else ctx.stop.addEventListener('abort', onStop, { once: true });
  const timer = ctx.clock.setTimeout(() => {
    controller.abort(new AwsRequestError(`no response within requestTimeoutMs (${ctx.requestTimeoutMs} ms)`, { errorCode: 'TimeoutError' }));
  }, ctx.requestTimeoutMs);
  let stop: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(controller.signal.reason);
    controller.signal.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([ctx.destination.send(events, controller.signal), aborted]);
  } finally {
    timer.cancel();
    ctx.stop.removeEventListener('abort', onStop);
    controller.signal.removeEventListener('abort', stop);
  }
}
