import type { AuditLogRecord } from '@auditlake/core';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditLakeOtelOptions } from './options.js';
import { SinkComponent } from './sink-component.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

/** Records taken off the emit path at most; beyond this, `onEmit` hands them to the sink itself. */
const MAX_PENDING_RECORDS = 32_768;
/** Records handed to the sink per turn of the event loop, so that a burst never blocks the loop in one pass. */
const SLICE = 512;
/**
 * Records held back while the sink wants no more; past this many, they are handed over between
 * turns whatever it wants, so that in a lasting overload the queue's bounds (and `QueueFull`)
 * decide, as they would without the processor, instead of 32,768 records waiting here.
 */
const HOLD_FOR_DEMAND = 4_096;
/** Records handed to the sink between two looks at its demand. */
const DEMAND_CHECK = 32;

/**
 * A `LogRecordProcessor` that feeds emitted records to the sink: no second queue in front of
 * core's bounded one, so a burst beyond it is dead-lettered with `QueueFull` (and counted)
 * instead of dropped silently, as the SDK's batch processor does. Records that are not audit
 * events are skipped by core and counted.
 *
 * `onEmit` only keeps a reference: the SDK makes a record read-only once `emit` returns, and
 * the record is mapped a moment later, off the application's path (a few hundred at a time,
 * between turns of the event loop), as the sink wants more events (`waitForDemand()`): while its
 * requests are busy and a full batch waits behind them, up to 4,096 records wait here rather
 * than as a second copy in the queue (more are handed over between turns regardless). At most
 * 32,768 wait in one synchronous burst; beyond that `onEmit` maps them itself (slower, never
 * dropped; the queue's bounds apply). `forceFlush()` and `shutdown()` feed every
 * waiting record as the sink sends (`shutdown()` within its time limit, then the rest at once);
 * `stats()` and the exit listener take them all at once. An object logged as an attribute value
 * must therefore not be changed after it was emitted.
 */
export class AuditLakeLogRecordProcessor extends SinkComponent implements LogRecordProcessor {
  #pending: (ReadWriteLogRecord | undefined)[] = [];
  /** Index of the oldest waiting record in `#pending`. */
  #head = 0;
  /** A turn is scheduled, or the processor waits for the sink's demand. */
  #scheduled = false;
  readonly #detach: () => void;

  constructor(options: AuditLakeOtelOptions = {}) {
    super(options);
    this.#detach = this.sink.attach(
      () => void this.#drain(Infinity),
      () => this.#feed(),
    );
  }

  onEmit(logRecord: ReadWriteLogRecord): void {
    if (this.#pending.push(logRecord) - this.#head > MAX_PENDING_RECORDS) return void this.#drain(SLICE);
    this.#schedule();
  }

  override shutdown(): Promise<void> {
    return super.shutdown().finally(this.#detach);
  }

  override stats(): ReturnType<SinkComponent['stats']> {
    this.#drain(Infinity);
    return super.stats();
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.length === this.#head) return;
    this.#scheduled = true;
    setImmediate(this.#onTurn);
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false;
    const beyondHold = this.#pending.length - this.#head - HOLD_FOR_DEMAND;
    if (beyondHold > 0) {
      this.#drain(Math.min(SLICE, beyondHold));
      return this.#schedule();
    }
    if (this.#drainWanted(SLICE) === SLICE) return this.#schedule();
    const wait = this.#pending.length > this.#head ? this.sink.waitForDemand() : undefined;
    if (wait === undefined) return this.#schedule();
    this.#scheduled = true;
    void wait.then(this.#resume);
  };

  readonly #resume = (): void => {
    this.#scheduled = false;
    this.#schedule();
  };

  /** The sink's `flush()` and `shutdown()`: adds the records waiting now as the sink wants them; `undefined` when none wait. */
  #feed(): Promise<void> | undefined {
    const waiting = this.#pending.length - this.#head;
    return waiting === 0 ? undefined : this.#feedUpTo(waiting);
  }

  async #feedUpTo(count: number): Promise<void> {
    let left = count;
    while (left > 0 && this.#pending.length > this.#head) {
      const wait = this.sink.waitForDemand();
      if (wait) await wait;
      else left -= this.#drainWanted(Math.min(SLICE, left));
    }
  }

  /** Hands up to `count` waiting records to the sink while it wants them; returns how many. */
  #drainWanted(count: number): number {
    let handed = 0;
    while (handed < count && this.sink.waitForDemand() === undefined) {
      const some = this.#drain(Math.min(DEMAND_CHECK, count - handed));
      if (some === 0) break;
      handed += some;
    }
    return handed;
  }

  /** Hands up to `count` waiting records to the sink, oldest first; returns how many. */
  #drain(count: number): number {
    const pending = this.#pending;
    const start = this.#head;
    const end = Math.min(pending.length, start + count);
    while (this.#head < end) {
      const record = pending[this.#head] as ReadWriteLogRecord;
      pending[this.#head++] = undefined;
      this.sink.add(toAuditLogRecord(record) satisfies AuditLogRecord);
    }
    if (this.#head === pending.length) {
      this.#pending = [];
      this.#head = 0;
    } else if (this.#head >= 4096 && this.#head * 2 >= pending.length) {
      this.#pending = pending.slice(this.#head);
      this.#head = 0;
    }
    return end - start;
  }
}
