import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_DEAD_LETTER_FILE, type DeadLetter } from '@auditlake/core';
import { toStderr } from './worker-diagnostics.js';

/**
 * Where the worker puts dead letters when the configured destination is not usable (the sink
 * could not be created, or `deadLetterModule` could not be loaded): the `deadLetter` file if
 * one was given, else `AUDITLAKE_DEAD_LETTER`, else core's default file.
 */
export function fallbackDeadLetterFile(deadLetter: unknown, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (typeof deadLetter === 'string' && deadLetter.trim() !== '') return resolve(deadLetter);
  const fromEnv = env.AUDITLAKE_DEAD_LETTER?.trim();
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DEAD_LETTER_FILE);
}

/** Appends one letter, synchronously; if the file cannot be written, the letter goes to stderr. */
export function appendDeadLetter(path: string, letter: DeadLetter): void {
  const line = JSON.stringify(letter);
  try {
    appendFileSync(path, `${line}\n`, { mode: 0o600 });
  } catch (error) {
    toStderr(`auditlake: cannot append to dead-letter file ${path} (${String(error)}); the letter follows on stderr`);
    toStderr(line);
  }
}
