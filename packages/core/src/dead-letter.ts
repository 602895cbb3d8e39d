import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditEvent } from './audit-event.js';
import type { OncePerCause } from './diagnostics.js';

/** An event that was not delivered, and why. One line of a dead-letter file. */
export interface DeadLetter {
  event: AuditEvent;
  reason: {
    /** The service's code (`InvalidData`, `ChannelNotFound`, …) or auditlake's (`QueueFull`, `RetryDeadline`, `Shutdown`, `EventTooLarge`, `MappingFailed`). */
    code: string;
    message: string;
  };
  /** When it was dead-lettered, ISO-8601. */
  time: string;
  /** How many times it was sent (0: refused before sending). */
  attempts: number;
}

/** Receives dead letters synchronously; it should not throw (if it does, the letter goes to stderr). */
export type DeadLetterHandler = (letter: DeadLetter) => void;

/** File name of the default dead-letter file, in the working directory. */
export const DEFAULT_DEAD_LETTER_FILE = 'auditlake-dead-letter.jsonl';

export interface DeadLetterWriter {
  /** Where letters go, for messages. */
  readonly destination: string;
  write(letter: DeadLetter): void;
  /** Writes what is buffered, synchronously. */
  flush(): void;
}

/**
 * A writer for a JSON Lines file (created on the first letter, mode 0600) or a handler function.
 * File writes are gathered per tick and appended synchronously, so a storm of letters costs
 * one write per tick and nothing buffered survives the tick. When the target fails, letters go
 * to stderr as JSON lines instead, and the failure is reported: never silently lost.
 */
export function createDeadLetterWriter(target: string | DeadLetterHandler, report: OncePerCause): DeadLetterWriter {
  if (typeof target === 'function') {
    return {
      destination: `handler ${target.name || '(anonymous)'}`,
      write(letter) {
        try {
          target(letter);
        } catch (error) {
          report.report('error', 'dead-letter-handler', `auditlake: the dead-letter handler threw (${String(error)}); writing dead letters to stderr`);
          toStderr(`${JSON.stringify(letter)}\n`);
        }
      },
      flush() {},
    };
  }
  const path = resolve(target);
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    try {
      appendFileSync(path, text, { mode: 0o600 });
    } catch (error) {
      report.report('error', `dead-letter-file:${path}`, `auditlake: cannot append to dead-letter file ${path} (${String(error)}); writing dead letters to stderr`);
      toStderr(text);
    }
  };
  return {
    destination: path,
    write(letter) {
      pending.push(`${JSON.stringify(letter)}\n`);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    flush,
  };
}

function toStderr(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr itself is gone; there is nowhere left to write.
  }
}
