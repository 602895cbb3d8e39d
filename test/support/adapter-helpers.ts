// Test helpers shared by the front ends' unit tests (otel, winston, pino).
import type { DeadLetter, Diagnostics, PutAuditEventsInput, PutAuditEventsOutput, PutAuditEventsSend } from '@auditlake/core';

export const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/test';
export const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** `eventData` as sent, with the fields tests look at. */
export interface EventData {
  [field: string]: unknown;
  eventName?: string;
  eventSource?: string;
  eventTime?: string;
  userIdentity: { type?: string; principalId?: string; details?: unknown };
  sourceIPAddress?: string;
  errorCode?: string;
  errorMessage?: string;
  recipientAccountId?: string;
  requestParameters?: Record<string, unknown>;
  responseElements?: Record<string, unknown>;
  additionalEventData?: Record<string, unknown>;
}

/** Per-event answer of the fake service: undefined accepts the event. */
export type Answer = (eventData: EventData) => { errorCode: string; errorMessage: string } | undefined;

/** Real core, fake network: records every PutAuditEvents input and answers like the service. */
export function recordingSend(answer: Answer = () => undefined, delayMs = 0) {
  const requests: PutAuditEventsInput[] = [];
  let next = 0;
  const send: PutAuditEventsSend = async (input) => {
    requests.push(structuredClone(input));
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const output: PutAuditEventsOutput = { successful: [], failed: [] };
    for (const event of input.auditEvents) {
      const failure = answer(JSON.parse(event.eventData) as EventData);
      if (failure) output.failed.push({ id: event.id, ...failure });
      else output.successful.push({ id: event.id, eventID: `e-${++next}` });
    }
    return output;
  };
  return {
    send,
    requests,
    /** eventData of every event sent, in order. */
    events: () => requests.flatMap((r) => r.auditEvents.map((e) => JSON.parse(e.eventData) as EventData)),
  };
}

export function deadLetters() {
  const letters: DeadLetter[] = [];
  return { letters, deadLetter: (letter: DeadLetter) => void letters.push(letter), codes: () => letters.map((l) => l.reason.code) };
}

/** Diagnostics that collect instead of printing process warnings during tests. */
export function quietDiagnostics() {
  const messages: { level: string; message: string }[] = [];
  const diagnostics: Diagnostics = {
    debug: () => {},
    warn: (message) => void messages.push({ level: 'warn', message }),
    error: (message) => void messages.push({ level: 'error', message }),
  };
  return { diagnostics, messages };
}
