import { writeSync } from 'node:fs';
import { debuglog, format } from 'node:util';
import type { Diagnostics } from '@auditlake/core';

const trace = debuglog('auditlake');

/**
 * Diagnostics for pino's worker thread, written straight to file descriptor 2. A worker's
 * `process.stderr` (and its process warnings) reach the terminal only through the main
 * thread's event loop, so they are lost when the process exits right after logging; a
 * synchronous write to the shared descriptor is out at once. It does not depend on Node's
 * warnings either, which `--no-warnings` and `NODE_NO_WARNINGS=1` turn off.
 */
export const workerDiagnostics: Diagnostics = {
  debug: (message, ...args) => {
    if (trace.enabled) toStderr(format(message, ...args));
  },
  warn: (message) => toStderr(message),
  error: (message) => toStderr(message),
};

export function toStderr(text: string): void {
  try {
    writeSync(2, `${text}\n`);
  } catch {
    // stderr is closed or full: there is nowhere left to write.
  }
}
