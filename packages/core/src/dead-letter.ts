import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditEvent } from './audit-event.js';
import type { Reporter } from './diagnostics.js';

/** An event that was not delivered, and why. One line of a dead-letter file. */
export interface DeadLetter {
  event: AuditEvent;
  reason: {
    /** The service's code (`InvalidData`, `ChannelNotFound`, …) or auditlake's (`QueueFull`, `RetryDeadline`, `Shutdown`, `Exit`, `EventTooLarge`, `MappingFailed`). */
    code: string;
    message: string;
  };
  /** When it was dead-lettered, ISO-8601. */
  time: string;
  /** How many times it was sent (0: refused before sending). */
  attempts: number;
}

/**
 * Receives dead letters, synchronously. It may return a promise: a rejection is caught and the
 * letter is then written to the fallback file. Letters that arise while it runs (it logged an
 * invalid event, say) go to the fallback file too, never back into it.
 */
export type DeadLetterHandler = (letter: DeadLetter) => unknown;

/** File name of the default dead-letter file, in the working directory (under /tmp on AWS Lambda). */
export const DEFAULT_DEAD_LETTER_FILE = 'auditlake-dead-letter.jsonl';

export interface DeadLetterWriter {
  /** Where letters go, for messages. */
  readonly destination: string;
  /** One letter; `eventJson` is the `AuditEvent` as JSON text. */
  write(eventJson: string, code: string, message: string, attempts: number, time: number): void;
  /** Writes what is buffered, synchronously. */
  flush(): void;
}

/** Letters are buffered up to this much, then written: a storm of letters never piles up in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** The line of a dead-letter file: built from the event's JSON text, without parsing it. */
export function deadLetterLine(eventJson: string, code: string, message: string, attempts: number, time: number): string {
  return `{"event":${eventJson},"reason":${JSON.stringify({ code, message })},"time":"${new Date(time).toISOString()}","attempts":${attempts}}\n`;
}

/**
 * A writer for a JSON Lines file or a handler function. File letters are buffered (at most
 * 64 KiB, at most until the end of the tick) and appended synchronously as whole lines; when the
 * file cannot be written, the rest goes to stderr and the failure is reported: never lost silently.
 */
export function createDeadLetterWriter(target: string | DeadLetterHandler, fallbackFile: string, reporter: Reporter): DeadLetterWriter {
  if (typeof target !== 'function') return new FileWriter(resolve(target), reporter);
  return new HandlerWriter(target, new FileWriter(resolve(fallbackFile), reporter), reporter);
}

class HandlerWriter implements DeadLetterWriter {
  readonly destination: string;
  #depth = 0;

  constructor(
    readonly handler: DeadLetterHandler,
    readonly fallback: FileWriter,
    readonly reporter: Reporter,
  ) {
    this.destination = `handler ${handler.name || '(anonymous)'}`;
  }

  write(eventJson: string, code: string, message: string, attempts: number, time: number): void {
    if (this.#depth > 0) {
      this.reporter.report('warn', 'dead-letter-reentry', `auditlake: dead letters arose inside the dead-letter handler; they go to ${this.fallback.destination} instead`);
      return this.fallback.write(eventJson, code, message, attempts, time);
    }
    const letter: DeadLetter = { event: JSON.parse(eventJson) as AuditEvent, reason: { code, message }, time: new Date(time).toISOString(), attempts };
    this.#depth++;
    try {
      const result = this.handler(letter);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => this.#failed(error, eventJson, code, message, attempts, time));
      }
    } catch (error) {
      this.#failed(error, eventJson, code, message, attempts, time);
    } finally {
      this.#depth--;
    }
  }

  flush(): void {
    this.fallback.flush();
  }

  #failed(error: unknown, eventJson: string, code: string, message: string, attempts: number, time: number): void {
    this.reporter.report('error', 'dead-letter-handler', `auditlake: the dead-letter handler failed (${String(error)}); its letters go to ${this.fallback.destination}`);
    this.fallback.write(eventJson, code, message, attempts, time);
    this.fallback.flush();
  }
}

class FileWriter implements DeadLetterWriter {
  #pending: string[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  /** A write stopped in the middle of a line: the next one starts on a new line. */
  #torn = false;

  constructor(
    readonly destination: string,
    readonly reporter: Reporter,
  ) {}

  write(eventJson: string, code: string, message: string, attempts: number, time: number): void {
    const line = deadLetterLine(eventJson, code, message, attempts, time);
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= MAX_BUFFERED_BYTES) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    const written = this.#append(text);
    if (written < text.length) toStderr(text.slice(written));
  }

  /** Appends whole lines; returns how many characters of `text` are safely in the file. */
  #append(text: string): number {
    let fd: number | undefined;
    try {
      // O_NOFOLLOW: a symlink planted at the path must not redirect audit data elsewhere.
      fd = openSync(this.destination, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
      const stat = fstatSync(fd);
      if ((stat.mode & 0o077) !== 0) restrictMode(fd, this.destination, this.reporter);
      const bytes = Buffer.from(this.#torn || endsWithoutNewline(fd, stat.size) ? `\n${text}` : text, 'utf8');
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
        this.#torn = false;
        return text.length;
      } catch (error) {
        this.#torn = offset > 0;
        throw error;
      }
    } catch (error) {
      this.reporter.report('error', `dead-letter-file:${this.destination}`, `auditlake: cannot append to dead-letter file ${this.destination} (${String(error)}); writing dead letters to stderr`);
      // Lines before the failure may be in the file; stderr gets them all again rather than none.
      return 0;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/** Dead letters hold audit data: a file others can read is made private (0600), or reported. */
function restrictMode(fd: number, path: string, reporter: Reporter): void {
  try {
    fchmodSync(fd, 0o600);
  } catch (error) {
    reporter.report('warn', `dead-letter-mode:${path}`, `auditlake: dead-letter file ${path} can be read by others and its mode cannot be changed (${String(error)})`);
  }
}

/** Whether the file's last byte is not a newline (a line torn by a crash or a full disk). */
function endsWithoutNewline(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr itself is gone; there is nowhere left to write.
  }
}
