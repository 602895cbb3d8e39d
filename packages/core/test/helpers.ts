import { expect } from 'vitest';
import type { AuditLogRecord, AuditSinkStats, DeadLetter, Diagnostics, PutAuditEventsInput, PutAuditEventsOutput } from '../src/index.js';

export const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/0a1b2c3d-test';
export const ACCOUNT = '123456789012';

/** An audit record that maps to a valid event. */
export function auditRecord(n: number, audit: Record<string, unknown> = {}, extra: Partial<AuditLogRecord> = {}): AuditLogRecord {
  return {
    time: Date.UTC(2026, 10, 25, 12, 0, 0),
    attributes: { audit: { eventName: 'SignIn', eventSource: 'auth.example.com', userIdentity: { principalId: `user-${n}` }, ...audit } },
    ...extra,
  };
}

export type Responder = (input: PutAuditEventsInput, call: number) => Promise<PutAuditEventsOutput> | PutAuditEventsOutput;

export const acceptAll: Responder = (input) => ({
  successful: input.auditEvents.map((event) => ({ id: event.id, eventID: `ev-${event.id}` })),
  failed: [],
});

/** A `send` that records every call and answers with `responder` (default: all accepted). */
export function recordingSend(responder: Responder = acceptAll) {
  const calls: PutAuditEventsInput[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (input: PutAuditEventsInput): Promise<PutAuditEventsOutput> => {
    calls.push(structuredClone(input));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await responder(input, calls.length);
    } finally {
      inFlight--;
    }
  };
  return {
    send,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    ids: () => calls.flatMap((call) => call.auditEvents.map((event) => event.id)),
  };
}

export function deadLetters() {
  const letters: DeadLetter[] = [];
  return { letters, handler: (letter: DeadLetter) => void letters.push(letter), codes: () => letters.map((l) => l.reason.code) };
}

export function quietDiagnostics() {
  const messages: { level: keyof Diagnostics; message: string }[] = [];
  const diagnostics: Diagnostics = {
    debug: (message) => void messages.push({ level: 'debug', message }),
    warn: (message) => void messages.push({ level: 'warn', message }),
    error: (message) => void messages.push({ level: 'error', message }),
  };
  return { diagnostics, messages, at: (level: keyof Diagnostics) => messages.filter((m) => m.level === level).map((m) => m.message) };
}

/** The accounting invariant of product.md: every added (or recovered) event is somewhere, and so is every byte. */
export function expectInvariant(stats: AuditSinkStats): void {
  expect(stats.added + stats.recovered).toBe(stats.skipped + stats.delivered + stats.deadLettered.total + stats.queuedEvents + stats.inFlightEvents);
  expect(stats.acceptedBytes).toBe(stats.settledBytes + stats.queuedBytes + stats.inFlightBytes);
  expect(Object.values(stats.deadLettered.byReason).reduce((a, b) => a + b, 0)).toBe(stats.deadLettered.total);
}

export function eventDataOf(input: PutAuditEventsInput, index = 0): Record<string, unknown> {
  return JSON.parse(input.auditEvents[index]!.eventData) as Record<string, unknown>;
}

export type Deferred<T = void> = ReturnType<typeof deferred<T>>;

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
