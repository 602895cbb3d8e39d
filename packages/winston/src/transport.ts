import type { Readable } from 'node:stream';
import { createAuditSink, defaultDiagnostics, type AuditSink, type AuditSinkStats, type Diagnostics } from '@auditlake/core';
import TransportStream from 'winston-transport';
import { HandOver } from './hand-over.js';
import type { AuditLakeTransportOptions } from './options.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

/**
 * A winston transport that ships audit records to CloudTrail Lake. winston applies the
 * transport's `level` and `format` before `log`. `logger.end()` emits `finish` only after
 * everything logged was delivered or dead-lettered; delivery problems are `warn` events.
 */
export class AuditLakeTransport extends TransportStream {
  readonly #sink: AuditSink;
  readonly #owned: boolean;
  readonly #diagnostics: Diagnostics | undefined;
  // Opt-in (flushOnExit): core's timers are unref'd, so a process whose work is done would exit
  // with the last batch still queued. 'beforeExit' fires only on that natural exit; the flush
  // holds the loop open until delivery, then the process exits by itself.
  readonly #onBeforeExit = (): void => void this.#sink.flush();
  readonly #handOver = new HandOver(this, () => this.#parent());

  constructor(options: AuditLakeTransportOptions = {}) {
    const { level, format, silent, handleExceptions, handleRejections, sink, diagnostics, flushOnExit, ...sinkOptions } = options;
    super({ level, format, silent, handleExceptions, handleRejections });
    this.#diagnostics = diagnostics;
    this.#owned = sink === undefined;
    this.#sink =
      sink ??
      createAuditSink({
        ...sinkOptions,
        diagnostics: {
          debug: (message, ...args) => (diagnostics ?? defaultDiagnostics).debug(message, ...args),
          warn: (message) => this.#surface('warn', message),
          error: (message) => this.#surface('error', message),
        },
      });
    if (flushOnExit === true) process.on('beforeExit', this.#onBeforeExit);
  }

  /**
   * Hands one record to the sink. `next` is optional, as in winston's transport contract:
   * without it the record is still taken (and `'logged'` emitted), only without backpressure.
   */
  override log(info: object, next?: () => void): void {
    this.#sink.add(toAuditLogRecord(info));
    // 'logged' means taken by the sink (mapped, validated, queued or dead-lettered), as winston's
    // Console and Stream transports emit it once written; delivery is what flush() and 'finish'
    // wait for. Deferred, as theirs is, so that a listener never runs inside winston's write.
    if (this.listenerCount('logged') > 0) setImmediate(() => this.emit('logged', info));
    if (next === undefined) return this.#handOver.check();
    // Backpressure: while core's queue is full, winston buffers (bounded by maxBlockMs, after
    // which core sheds load with QueueFull dead letters) instead of us holding an unbounded array.
    const taken = (): void => {
      next();
      this.#handOver.check();
    };
    const wait = this.#sink.waitForCapacity();
    if (wait === undefined) taken();
    else void wait.then(taken);
  }

  /**
   * TransportStream's own `_writev` passes every buffered record to `log()` at once, without
   * waiting for the callbacks that carry our backpressure: write them one after another instead.
   */
  override _writev(chunks: { chunk: unknown; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    let index = 0;
    const run = (): void => {
      while (index < chunks.length) {
        const { chunk, encoding } = chunks[index++] as { chunk: unknown; encoding: BufferEncoding };
        let sync = true;
        let done = false;
        try {
          this._write(chunk, encoding, () => {
            done = true;
            if (!sync) run();
          });
        } catch (error) {
          // A throwing format: TransportStream calls back, then rethrows. Here that could be a
          // later turn (an unhandled rejection) or a stuck stream: report it and go on.
          done = true;
          this.#surface('warn', `auditlake: a format threw, the record was not logged: ${String(error)}`);
        }
        sync = false;
        if (!done) return;
      }
      callback();
    };
    run();
  }

  /**
   * winston's logger ends its transports from its own `_final`, before its readable side has
   * piped us the records it still holds while our backpressure pauses the pipe; ending then
   * loses them ("write after end"). So the end waits until the logger has handed everything
   * over.
   */
  override end(...args: unknown[]): this {
    void this.#handOver.wait(false).then(() => super.end(...(args as [])));
    return this;
  }

  /** Runs on `end()`: winston's logger waits for our `finish`, so `logger.end()` waits for delivery. */
  override _final(callback: (error?: Error | null) => void): void {
    void this.#release().then(() => callback());
  }

  /** Called by winston, without waiting, when the transport is removed or the logger closed. */
  override close(): void {
    void this.#release();
  }

  /**
   * Resolves when every record logged so far, including those winston still holds on their way
   * here, is delivered or dead-lettered. With `timeoutMs`, rejects with a `TimeoutError` when
   * that takes longer; the records stay queued, for a later flush or the shutdown. In AWS Lambda:
   * `await transport.flush({ timeoutMs: context.getRemainingTimeInMillis() - 500 })` before the
   * handler returns (the environment is frozen after that).
   */
  flush(options: { timeoutMs?: number } = {}): Promise<void> {
    const delivered = this.#handOver.wait(true).then(() => this.#sink.flush());
    return options.timeoutMs === undefined ? delivered : within(delivered, options.timeoutMs, () => this.#sink.stats());
  }

  /** The sink's counters (delivered, dead-lettered by reason, skipped, …). */
  stats(): AuditSinkStats {
    return this.#sink.stats();
  }

  /** The sink this transport feeds. */
  get sink(): AuditSink {
    return this.#sink;
  }

  #release(): Promise<void> {
    process.off('beforeExit', this.#onBeforeExit);
    return this.#owned ? this.#sink.shutdown() : this.#sink.flush();
  }

  /** The logger piping to us (winston-transport records it on 'pipe'). */
  #parent(): Readable | undefined {
    return (this as { parent?: Readable | null }).parent ?? undefined;
  }

  #surface(level: 'warn' | 'error', message: string): void {
    this.#diagnostics?.[level](message);
    if (this.#diagnostics === undefined && !this.#heard()) defaultDiagnostics[level](message);
    // Deferred out of add() (a listener may log again), yet before the 'finish' it explains.
    queueMicrotask(() => this.emit('warn', new Error(message)));
  }

  /** Whether anyone listens to `warn`: winston adds one listener that re-emits on the logger. */
  #heard(): boolean {
    const parent = this.#parent();
    return this.listenerCount('warn') > (parent ? 1 : 0) || (parent?.listenerCount('warn') ?? 0) > 0;
  }
}

/** `promise`, or a `TimeoutError` after `timeoutMs` (its timer never keeps the process alive). */
function within(promise: Promise<void>, timeoutMs: number, stats: () => AuditSinkStats): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const { queuedEvents, inFlightEvents } = stats();
      const error = new Error(`auditlake: ${queuedEvents + inFlightEvents} event(s) not delivered within ${timeoutMs} ms; they stay queued`);
      reject(Object.assign(error, { name: 'TimeoutError' }));
    }, Math.max(0, timeoutMs));
    timer.unref();
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
