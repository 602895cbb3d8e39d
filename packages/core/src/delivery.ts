import { requestBodyBuffer } from './audit-event.js';
import type { PendingEvent } from './batcher.js';
import { PutAuditEventsError } from './errors.js';
import { RETRYABLE_EVENT_ERROR_CODES } from './limits.js';
import type { PutAuditEventsOutput, PutAuditEventsSend } from './put-audit-events.js';
import { backoffDelayMs, classifyRequestFailure, type RequestFailure } from './retry.js';

/** What a delivery needs from the sink: the call, the limits, and where outcomes go. */
export interface DeliveryHost {
  readonly send: PutAuditEventsSend;
  readonly channelArn: string;
  readonly externalId: string | undefined;
  readonly requestTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Aborted when shutdown runs out of time: stop now, dead-letter the rest with `Shutdown`. */
  readonly signal: AbortSignal;
  now(): number;
  requestStarted(): void;
  delivered(events: PendingEvent[]): void;
  deadLettered(events: PendingEvent[], code: string, message: string): void;
  retrying(events: PendingEvent[], reason: string, delayMs: number): void;
  /** A request-level failure, for reporting (configuration faults loudly, once per cause). */
  requestFailed(failure: RequestFailure, willRetry: boolean): void;
}

/** The events a request slot is working on; shrinks as outcomes arrive. */
export interface Delivery {
  events: PendingEvent[];
}

/**
 * Sends one batch and sees every event in it to an outcome, holding one request slot the
 * whole time: retryable request failures resend the batch, per-event `Throttling` and
 * `InternalFailure` resend only those events (same ids), everything else is dead-lettered with
 * the service's code. Retries stop at each event's deadline; every event is sent at least once.
 */
export async function deliver(delivery: Delivery, host: DeliveryHost): Promise<void> {
  for (let attempt = 1; delivery.events.length > 0; attempt++) {
    const events = delivery.events;
    for (const event of events) event.attempts++;
    host.requestStarted();
    let retry: PendingEvent[];
    let failure: Pick<RequestFailure, 'throttled' | 'retryAfterMs'>;
    let reason: string;
    try {
      const output = await sendWithTimeout(host, events);
      ({ retry, failure, reason } = sortOutcomes(host, events, output));
    } catch (error) {
      if (host.signal.aborted) return shutDown(host, delivery);
      const classified = classifyRequestFailure(error);
      host.requestFailed(classified, classified.retryable);
      if (!classified.retryable) {
        delivery.events = [];
        return host.deadLettered(events, classified.code, classified.message);
      }
      retry = events;
      failure = classified;
      reason = `${classified.code}: ${classified.message}`;
    }
    if (retry.length === 0) {
      delivery.events = [];
      return;
    }
    const delay = backoffDelayMs(attempt, failure, host.retryBaseDelayMs, host.retryMaxDelayMs);
    const resumeAt = host.now() + delay;
    const expired = retry.filter((event) => event.deadline < resumeAt);
    if (expired.length > 0) {
      retry = retry.filter((event) => event.deadline >= resumeAt);
      host.deadLettered(expired, 'RetryDeadline', `not delivered before the retry deadline after ${attempt} attempt(s); last failure: ${reason}`);
    }
    delivery.events = retry;
    if (retry.length === 0) return;
    host.retrying(retry, reason, delay);
    if (!(await sleep(delay, host.signal))) return shutDown(host, delivery);
  }
}

/** Splits a 200 response into delivered, dead-lettered and to-be-resent events. */
function sortOutcomes(host: DeliveryHost, events: PendingEvent[], output: PutAuditEventsOutput) {
  const byId = new Map(events.map((event) => [event.event.id, event]));
  const delivered: PendingEvent[] = [];
  const retry: PendingEvent[] = [];
  let throttled = false;
  let reason = '';
  // A custom `send` may return anything; what it does not account for is resent below.
  const successful = Array.isArray(output?.successful) ? output.successful : [];
  const failed = Array.isArray(output?.failed) ? output.failed : [];
  for (const entry of successful) {
    const event = byId.get(entry?.id);
    if (event === undefined) continue;
    byId.delete(entry.id);
    delivered.push(event);
  }
  for (const entry of failed) {
    const event = byId.get(entry?.id);
    if (event === undefined) continue;
    byId.delete(entry.id);
    const code = typeof entry.errorCode === 'string' && entry.errorCode.length > 0 ? entry.errorCode : 'InternalFailure';
    const message = typeof entry.errorMessage === 'string' ? entry.errorMessage : '';
    if (RETRYABLE_EVENT_ERROR_CODES.has(code)) {
      retry.push(event);
      throttled ||= code === 'Throttling';
      reason = `${code}: ${message}`;
    } else {
      host.deadLettered([event], code, message);
    }
  }
  if (byId.size > 0) {
    // Neither successful nor failed: we cannot know; resending (same id) is the safe side.
    retry.push(...byId.values());
    reason ||= `the response did not mention ${byId.size} event(s)`;
  }
  if (delivered.length > 0) host.delivered(delivered);
  // Keep acceptance order: the sink reads a delivery's first event as its lowest sequence number.
  retry.sort((a, b) => a.seq - b.seq);
  return { retry, failure: { throttled, retryAfterMs: undefined }, reason };
}

/** One call, bounded by `requestTimeoutMs` whatever `send` does with its abort signal. */
async function sendWithTimeout(host: DeliveryHost, events: PendingEvent[]): Promise<PutAuditEventsOutput> {
  const controller = new AbortController();
  const onShutdown = () => controller.abort(host.signal.reason);
  host.signal.addEventListener('abort', onShutdown, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new PutAuditEventsError(`no response within requestTimeoutMs (${host.requestTimeoutMs} ms)`, { errorCode: 'TimeoutError' }));
  }, host.requestTimeoutMs);
  timer.unref();
  let stop: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(controller.signal.reason);
    controller.signal.addEventListener('abort', stop, { once: true });
  });
  try {
    const input = {
      channelArn: host.channelArn,
      ...(host.externalId === undefined ? {} : { externalId: host.externalId }),
      auditEvents: events.map((event) => event.event),
    };
    // Built from the entries serialized at accept time, and only if `send` asks for it.
    let body: Buffer | undefined;
    const options = {
      abortSignal: controller.signal,
      get body() {
        return (body ??= requestBodyBuffer(events));
      },
    };
    return await Promise.race([host.send(input, options), aborted]);
  } finally {
    clearTimeout(timer);
    host.signal.removeEventListener('abort', onShutdown);
    controller.signal.removeEventListener('abort', stop);
  }
}

function shutDown(host: DeliveryHost, delivery: Delivery): void {
  const events = delivery.events;
  delivery.events = [];
  host.deadLettered(events, 'Shutdown', 'shutdown ran out of time (shutdownTimeoutMs) before this event was delivered');
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. The timer does not keep the process alive. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
