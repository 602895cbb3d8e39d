import { writeSync } from 'node:fs';
import type { Backpressure } from './backpressure.js';
import type { Clock } from './clock.js';
import type { DeadLetterWriter } from './dead-letter.js';
import type { Demand } from './demand.js';
import type { Destination, QueuedEvent } from './destination.js';
import type { Reporter } from './diagnostics.js';
import type { EventStore } from './event-queue.js';
import { guardExit, type ExitParticipant } from './exit-guard.js';
import type { FailureReports } from './failure-reports.js';
import type { KeepAlive } from './keep-alive.js';
import type { Ledger } from './ledger.js';
import type { Scheduler } from './scheduler.js';
import type { Settlement } from './settlement.js';
import type { Spool } from './spool/spool.js';

export interface ShutdownOptions {
  readonly clock: Clock;
  readonly shutdownTimeoutMs: number;
  /** Whether to keep what is undelivered when the process exits without `shutdown()`. */
  readonly persistOnExit: boolean;
  readonly ledger: Pick<Ledger, 'lastSeq' | 'whenSettledThrough'>;
  readonly scheduler: Pick<Scheduler, 'due' | 'stop' | 'idle' | 'inFlightEvents'>;
  readonly store: Pick<EventStore, 'drainVolatile'>;
  readonly spool: Pick<Spool, 'close' | 'closeAtExit' | 'idle' | 'dir'> | undefined;
  readonly settlement: Pick<Settlement, 'deadLettered'>;
  readonly deadLetters: Pick<DeadLetterWriter, 'flush' | 'destination'>;
  readonly failures: Pick<FailureReports, 'lastFailure'>;
  readonly backpressure: Pick<Backpressure, 'close'>;
  readonly destination: Pick<Destination, 'close'>;
  readonly reporter: Reporter;
  readonly keepAlive: KeepAlive;
  /** Aborted when shutdown starts: a backoff wait ends at once, for a last attempt. */
  readonly hurry: AbortController;
  /** Aborted when shutdown runs out of time: requests are cut off, what is left is abandoned. */
  readonly stop: AbortController;
  /** Adds what attached adapters still hold. */
  readonly drain: () => void;
  /** Adds what attached adapters hold as the sink wants it; `undefined` when they hold nothing. */
  readonly feed: () => Promise<void> | undefined;
  readonly demand: Pick<Demand, 'changed'>;
}

/**
 * The end of a sink: `shutdown()` (flush for at most `shutdownTimeoutMs`, then release timers,
 * sockets and the spool), or the process exiting without it (keep what is undelivered,
 * synchronously).
 */
export class Shutdown implements ExitParticipant {
  readonly #o: ShutdownOptions;
  readonly #unguardExit: () => void;
  #closing = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: ShutdownOptions) {
    this.#o = options;
    this.#unguardExit = options.persistOnExit ? guardExit(this) : () => {};
  }

  /** No new events are accepted. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Everything is released (or kept at exit). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Idempotent. */
  run(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  /** The exit listener: keep what is undelivered, synchronously, and say so on stderr. */
  persistAtExit(): void {
    if (this.#closed) return;
    const { deadLetters, spool } = this.#o;
    this.#o.drain();
    this.#closed = true;
    this.#o.scheduler.stop();
    const volatile = this.#volatileEvents();
    const cause = this.#o.failures.lastFailure;
    if (volatile.length > 0) {
      this.#o.settlement.deadLettered(volatile, 'Exit', `the process exited before this event was delivered (no shutdown)${cause ? `; last failure: ${cause}` : ''}`);
    }
    deadLetters.flush();
    const kept = spool?.closeAtExit() ?? 0;
    const where = [
      volatile.length > 0 ? `${volatile.length} dead-lettered with reason Exit to ${deadLetters.destination}` : '',
      kept > 0 ? `${kept} kept in the spool ${spool?.dir} for the next sink on it` : '',
    ].filter(Boolean);
    if (where.length > 0) toStderr(`(auditlake) warning: the process is exiting with ${volatile.length + kept} undelivered event(s): ${where.join('; ')}\n`);
  }

  /** Events that would be lost with the process: everything held, unless the spool has it on disk. */
  #volatileEvents(): QueuedEvent[] {
    return [...this.#o.scheduler.inFlightEvents().filter((event) => event.spooled === undefined), ...this.#o.store.drainVolatile()];
  }

  /** The spool's work off the event loop (removals, syncs of sealed segments), for at most shutdownTimeoutMs: a hung disk does not hang shutdown. */
  async #spoolIdle(spool: Pick<Spool, 'idle'>): Promise<void> {
    await this.#within(spool.idle(), this.#o.shutdownTimeoutMs);
  }

  /** Whether `work` settled within `ms`. */
  async #within(work: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: { cancel(): void } | undefined;
    const inTime = await Promise.race([work.then(() => true), new Promise<boolean>((resolve) => (timer = this.#o.clock.setTimeout(() => resolve(false), ms)))]);
    timer?.cancel();
    return inTime;
  }

  async #close(): Promise<void> {
    const { ledger, scheduler, spool, clock, shutdownTimeoutMs } = this.#o;
    const deadline = clock.now() + shutdownTimeoutMs;
    this.#o.keepAlive.hold();
    try {
      // What adapters hold goes in as requests make room for it, within the time limit; what is left, at once.
      const feeding = this.#o.feed();
      if (feeding) await this.#within(feeding, shutdownTimeoutMs);
      this.#o.drain();
      this.#closing = true;
      this.#o.demand.changed();
      this.#o.backpressure.close();
      this.#o.hurry.abort();
      const seq = ledger.lastSeq;
      scheduler.due(seq);
      const timedOut = !(await this.#within(ledger.whenSettledThrough(seq), Math.max(0, deadline - clock.now())));
      if (timedOut) {
        this.#o.stop.abort(new Error('shutdownTimeoutMs elapsed'));
        scheduler.stop();
        await scheduler.idle();
        const cause = this.#o.failures.lastFailure;
        const queued = this.#o.store.drainVolatile();
        if (queued.length > 0) {
          this.#o.settlement.deadLettered(queued, 'Shutdown', `shutdown ran out of time (shutdownTimeoutMs ${this.#o.shutdownTimeoutMs} ms) before this event was sent${cause ? `; last failure: ${cause}` : ''}`);
        }
      }
    } finally {
      this.#closed = true;
      this.#unguardExit();
      this.#o.deadLetters.flush();
      const kept = spool?.close() ?? 0;
      if (spool) await this.#spoolIdle(spool);
      if (kept > 0) {
        this.#o.reporter.diagnostics.warn(`auditlake: shutdown left ${kept} undelivered event(s) in the spool ${spool?.dir}; the next sink on it sends them`);
      }
      this.#o.destination.close();
      this.#o.keepAlive.release();
    }
  }
}

function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // No stderr left.
  }
}
