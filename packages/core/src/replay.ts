/**
 * Replay of a dead-letter file: each event is sent again with its original id, and the ids the
 * destination accepts are appended to a progress file, so that running the replay again (after a
 * crash, or by mistake) sends nothing already accepted. What fails again goes to a new dead-letter
 * file, never back into the one being read. Only @auditlake/core is needed.
 */
import { closeSync, createReadStream, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditEvent } from './audit-event.js';
import { ConfigurationError } from './errors.js';
import type { AuditSinkOptions } from './options.js';
import { createAuditSink } from './sink.js';

export interface ReplayOptions extends Omit<AuditSinkOptions, 'onDelivered'> {
  /** Where the ids of accepted events are recorded. @default `<file>.replay-progress` */
  progressFile?: string;
}

export interface ReplayReport {
  /** Dead letters read from the file. */
  read: number;
  /** Letters not sent: accepted by an earlier run (per the progress file), or repeated in the file. */
  alreadyDelivered: number;
  delivered: number;
  deadLettered: number;
  deadLetteredByReason: Record<string, number>;
  /** Lines that are not dead letters, by line number. */
  malformed: { line: number; message: string }[];
  deadLetterFile: string;
  progressFile: string;
}

export async function replayDeadLetters(file: string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const { progressFile: progressOption, ...sinkOptions } = options;
  const progressFile = resolve(progressOption ?? `${file}.replay-progress`);
  const deadLetterFile = typeof sinkOptions.deadLetter === 'string' ? resolve(sinkOptions.deadLetter) : resolve(`${file.replace(/\.jsonl$/, '')}.replay-failed.jsonl`);
  if (deadLetterFile === resolve(file)) throw new ConfigurationError('deadLetter', 'a file other than the one being replayed', sinkOptions.deadLetter);
  const done = readProgress(progressFile);
  const progress = openSync(progressFile, 'a', 0o600);
  const sink = createAuditSink({
    flushIntervalMs: 50,
    ...sinkOptions,
    deadLetter: sinkOptions.deadLetter ?? deadLetterFile,
    // Written before the next response is read: a crash loses at most the last batch's progress (sent again: duplicates, never losses).
    onDelivered: (ids) => void writeSync(progress, `${ids.join('\n')}\n`),
  });
  const report: ReplayReport = { read: 0, alreadyDelivered: 0, delivered: 0, deadLettered: 0, deadLetteredByReason: {}, malformed: [], deadLetterFile, progressFile };
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
      if (done.has(event.id)) {
        report.alreadyDelivered++;
        continue;
      }
      done.add(event.id);
      // Backpressure: a large file must not overflow the sink's bounded queue into QueueFull letters.
      const wait = sink.waitForCapacity();
      if (wait) await wait;
      sink.addEvent(event);
    }
    await sink.flush();
  } finally {
    await sink.shutdown();
    closeSync(progress);
  }
  const stats = sink.stats();
  report.delivered = stats.delivered;
  report.deadLettered = stats.deadLettered.total;
  report.deadLetteredByReason = stats.deadLettered.byReason;
  return report;
}

function readProgress(path: string): Set<string> {
  if (!existsSync(path)) return new Set();
  return new Set(readFileSync(path, 'utf8').split('\n').filter((id) => id.length > 0));
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
