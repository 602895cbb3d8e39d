import { createAuditSink, type AuditSink, type AuditSinkStats } from '@auditlake/core';
import type { AuditLakeOtelOptions } from './options.js';
import { suppressTracingSend } from './suppress-tracing.js';

/**
 * What the exporter and the processor share: one sink, created from the options or borrowed,
 * and its lifecycle. A created sink runs its requests with tracing suppressed: an instrumented
 * HTTP client would otherwise emit spans, and logs about them, for every export, which come
 * back here. A `ConfigurationError` from the options names the bad one.
 */
export abstract class SinkComponent {
  readonly #sink: AuditSink;
  readonly #owned: boolean;

  constructor(options: AuditLakeOtelOptions = {}) {
    const { sink, wrapSend, ...sinkOptions } = options;
    this.#owned = sink === undefined;
    this.#sink = sink ?? createAuditSink({ ...sinkOptions, wrapSend: (send) => suppressTracingSend(wrapSend ? wrapSend(send) : send) });
  }

  forceFlush(): Promise<void> {
    return this.#sink.flush();
  }

  /** Shuts down a sink this component created; only flushes a borrowed one (its owner shuts it down). */
  shutdown(): Promise<void> {
    return this.#owned ? this.#sink.shutdown() : this.#sink.flush();
  }

  /** The sink's counters (delivered, dead-lettered by reason, skipped, …). */
  stats(): AuditSinkStats {
    return this.#sink.stats();
  }

  /** The sink this component feeds. */
  get sink(): AuditSink {
    return this.#sink;
  }
}
