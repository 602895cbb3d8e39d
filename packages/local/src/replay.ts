/**
 * `auditlake replay`: resends the events of a dead-letter file (JSON Lines of
 * `{ event: { id, eventData, eventDataChecksum? }, reason, time, attempts }`) through core's
 * sink, which keeps each event's id, so a replay of an event that did arrive after all is
 * recognizable by its id. What fails again goes to a new dead-letter file, never back into
 * the one being read.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createAuditSink, type AuditEvent, type AwsCredentials, type Diagnostics } from '@auditlake/core';

export interface ReplayOptions {
  channelArn?: string;
  endpoint?: string;
  externalId?: string;
  region?: string;
  credentials?: AwsCredentials;
  /** Where events that fail again go. */
  deadLetter: string;
  diagnostics?: Diagnostics;
  /** Environment for the sink's `AUDITLAKE_*` variables. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ReplayReport {
  /** Dead letters read from the file. */
  read: number;
  delivered: number;
  deadLettered: number;
  deadLetteredByReason: Record<string, number>;
  /** Lines that are not dead letters, by line number. */
  malformed: { line: number; message: string }[];
  deadLetterFile: string;
}

export async function replayDeadLetters(file: string, options: ReplayOptions): Promise<ReplayReport> {
  const sink = createAuditSink({
    ...(options.channelArn === undefined ? {} : { channelArn: options.channelArn }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.externalId === undefined ? {} : { externalId: options.externalId }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.diagnostics === undefined ? {} : { diagnostics: options.diagnostics }),
    ...(options.env === undefined ? {} : { env: options.env }),
    deadLetter: options.deadLetter,
    flushIntervalMs: 50,
  });
  const report: ReplayReport = { read: 0, delivered: 0, deadLettered: 0, deadLetteredByReason: {}, malformed: [], deadLetterFile: options.deadLetter };
  try {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber++;
      if (line.trim().length === 0) continue;
      const event = parseLetter(line);
      if (typeof event === 'string') {
        report.malformed.push({ line: lineNumber, message: event });
        continue;
      }
      report.read++;
      // Backpressure: a large file must not overflow the sink's bounded queue into QueueFull letters.
      const wait = sink.waitForCapacity();
      if (wait) await wait;
      sink.addEvent(event);
    }
    await sink.flush();
  } finally {
    await sink.shutdown();
  }
  const stats = sink.stats();
  report.delivered = stats.delivered;
  report.deadLettered = stats.deadLettered.total;
  report.deadLetteredByReason = stats.deadLettered.byReason;
  return report;
}

function parseLetter(line: string): AuditEvent | string {
  let letter: unknown;
  try {
    letter = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  const event = (letter as { event?: unknown } | null)?.event as Partial<AuditEvent> | undefined;
  if (event === null || typeof event !== 'object') return 'no "event" object';
  if (typeof event.id !== 'string' || typeof event.eventData !== 'string') return '"event" needs string "id" and "eventData"';
  // The checksum is recomputed by the sink; a stale one would only make the event fail again.
  return { id: event.id, eventData: event.eventData };
}
