import { writeSync } from 'node:fs';
import { debuglog } from 'node:util';

/**
 * Where auditlake reports about itself. Fits `console`, OTel's `DiagLogger` and Smithy's
 * `Logger`. It must never be the logger being transported: that would recurse.
 */
export interface Diagnostics {
  debug(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const trace = debuglog('auditlake');

/**
 * The default: `debug` through `util.debuglog('auditlake')` (shown with `NODE_DEBUG=auditlake`);
 * `warn` and `error` as one line each on stderr, written synchronously. Not process warnings:
 * `--no-warnings` and `NODE_NO_WARNINGS=1`, common in container images, would hide a missing
 * channel; and a synchronous write still lands when a worker thread or the process ends right
 * after. The sink reports a warning or an error once per distinct cause, so this stays quiet in
 * steady state.
 */
export const defaultDiagnostics: Diagnostics = {
  debug: (message, ...args) => trace(message, ...args),
  warn: (message) => toStderr(`(auditlake) warning: ${message.replace(/^auditlake: /, '')}\n`),
  error: (message) => toStderr(`(auditlake) error: ${message.replace(/^auditlake: /, '')}\n`),
};

function toStderr(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // No stderr (closed, or EAGAIN on a full non-blocking pipe): nowhere left to report.
  }
}

/** Reports a warning or error only the first time its `cause` is seen; later ones go to `debug`. */
export class Reporter {
  readonly #seen = new Set<string>();
  constructor(readonly diagnostics: Diagnostics) {}

  report(level: 'warn' | 'error', cause: string, message: string): void {
    if (this.#seen.has(cause)) {
      this.diagnostics.debug(message);
      return;
    }
    this.#seen.add(cause);
    this.diagnostics[level](message);
  }

  /** Forgets a cause, so that its next occurrence is reported again (a fault that cleared and came back). */
  forget(cause: string): void {
    this.#seen.delete(cause);
  }
}
