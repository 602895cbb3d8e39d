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
 * `warn` and `error` as process warnings of type `AuditLakeWarning` on stderr. The sink reports
 * a warning or an error once per distinct cause, so this stays quiet in steady state.
 */
export const defaultDiagnostics: Diagnostics = {
  debug: (message, ...args) => trace(message, ...args),
  warn: (message) => process.emitWarning(message, { type: 'AuditLakeWarning' }),
  error: (message) => process.emitWarning(message, { type: 'AuditLakeWarning', code: 'AUDITLAKE_ERROR' }),
};

/** Reports a warning or error only the first time its `cause` is seen. */
export class OncePerCause {
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
}
