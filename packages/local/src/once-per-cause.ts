import type { Diagnostics } from '@auditlake/core';

/** The most causes remembered; past it, everything is reported at debug level (a client can invent causes). */
const MAX_CAUSES = 1000;

/** Reports a warning or error the first time its cause is seen, later ones at debug level. */
export class OncePerCause {
  readonly #seen = new Set<string>();
  readonly #diagnostics: Diagnostics;

  constructor(diagnostics: Diagnostics) {
    this.#diagnostics = diagnostics;
  }

  report(level: 'warn' | 'error', cause: string, message: string): void {
    if (this.#seen.has(cause) || this.#seen.size >= MAX_CAUSES) {
      this.#diagnostics.debug(message);
      return;
    }
    this.#seen.add(cause);
    this.#diagnostics[level](message);
  }
}
