import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
  /** Letters of many events with one reason (a failed request, the exit): the reason is written out once for all. */
  writeMany(events: readonly { eventJson: string; attempts: number }[], code: string, message: string, time: number): void;
  /** Writes what is buffered, synchronously. */
  flush(): void;
}

/** Letters are buffered up to this much, then written: a storm of letters never piles up in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** The line of a dead-letter file: built from the event's JSON text, without parsing it. */
export function deadLetterLine(eventJson: string, code: string, message: string, attempts: number, time: number): string {
  return lineOf(eventJson, reasonPart(code, message, time), attempts);
}

/** What the lines of one reason and time share, serialized once. */
function reasonPart(code: string, message: string, time: number): string {
  return `,"reason":${JSON.stringify({ code, message })},"time":"${new Date(time).toISOString()}","attempts":`;
}

function lineOf(eventJson: string, reason: string, attempts: number): string {
  return `{"event":${eventJson}${reason}${attempts}}\n`;
}

/** A letter written out in one piece is at most this large before it goes to the file. */
const CHUNK_BYTES = 1024 * 1024;

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

  writeMany(events: readonly { eventJson: string; attempts: number }[], code: string, message: string, time: number): void {
    for (const { eventJson, attempts } of events) this.write(eventJson, code, message, attempts, time);
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
    this.#pending.push(deadLetterLine(eventJson, code, message, attempts, time));
    this.#pendingBytes += (this.#pending[this.#pending.length - 1] as string).length;
    if (this.#pendingBytes >= MAX_BUFFERED_BYTES) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Many letters at once (the exit listener's 10,000, a failed batch): each line is written
   * piece by piece into a buffer of at most 1 MiB, which goes to the file when full; no
   * intermediate strings, so this stays cheap even at exit.
   */
  writeMany(events: readonly { eventJson: string; attempts: number }[], code: string, message: string, time: number): void {
    this.flush();
    const reason = reasonPart(code, message, time);
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    for (const { eventJson, attempts } of events) {
      const most = 12 + (eventJson.length + reason.length) * 3 + 24;
      if (used + most > chunk.length) {
        if (used > 0) this.#write(chunk.subarray(0, used));
        used = 0;
        if (most > chunk.length) chunk = Buffer.allocUnsafe(most);
      }
      used += chunk.write('{"event":', used, 'latin1');
      used += chunk.write(eventJson, used, 'utf8');
      used += chunk.write(reason, used, 'utf8');
      used += chunk.write(`${attempts}}\n`, used, 'latin1');
    }
    if (used > 0) this.#write(chunk.subarray(0, used));
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#write(Buffer.from(text, 'utf8'));
  }

  /** Whole lines to the file, or (when it cannot be written) to stderr: never lost. */
  #write(lines: Buffer): void {
    if (!this.#append(lines)) toStderr(lines);
  }

  /** Appends whole lines; false when the file could not take them (some may be in it). */
  #append(lines: Buffer): boolean {
    let fd: number | undefined;
    try {
      // O_NOFOLLOW: a symlink planted at the path must not redirect audit data elsewhere.
      fd = openLetterFile(this.destination);
      const stat = fstatSync(fd);
      if ((stat.mode & 0o077) !== 0) restrictMode(fd, this.destination, this.reporter);
      if (this.#torn || endsWithoutNewline(fd, stat.size)) writeAll(fd, NEWLINE);
      let offset = 0;
      try {
        while (offset < lines.length) offset += writeSync(fd, lines, offset, lines.length - offset);
        this.#torn = false;
        return true;
      } catch (error) {
        this.#torn = offset > 0;
        throw error;
      }
    } catch (error) {
      this.reporter.report('error', `dead-letter-file:${this.destination}`, `auditlake: cannot append to dead-letter file ${this.destination} (${String(error)}); writing dead letters to stderr`);
      // Lines before the failure may be in the file; stderr gets them all again rather than none.
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

const NEWLINE = Buffer.from('\n');

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** Opens the file for appending, creating it (0600) and its directory (0700) when missing; never through a symlink. */
function openLetterFile(path: string): number {
  const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
  try {
    return openSync(path, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return openSync(path, flags, 0o600);
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

function toStderr(lines: Buffer): void {
  try {
    writeAll(2, lines);
  } catch {
    // stderr itself is gone; there is nowhere left to write.
  }
}
