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
 * A `LogRecordProcessor` that feeds emitted records to the sink: no second queue in front of
 * core's bounded one, so a burst beyond it is dead-lettered with `QueueFull` (and counted)
 * instead of dropped silently, as the SDK's batch processor does. Records that are not audit
 * events are skipped by core and counted.
 *
 * `onEmit` only keeps a reference: the SDK makes a record read-only once `emit` returns, and
 * the record is mapped a moment later, off the application's path (a few hundred at a time,
 * between turns of the event loop). At most 32,768 wait so; beyond that `onEmit` maps them itself
 * (slower, never dropped). `forceFlush()`, `shutdown()`, `stats()` and the exit listener take every
 * waiting record first. An object logged as an attribute value must therefore not be changed
 * after it was emitted.
 */
export class AuditLakeLogRecordProcessor extends SinkComponent implements LogRecordProcessor {
  #pending: (ReadWriteLogRecord | undefined)[] = [];
  /** Index of the oldest waiting record in `#pending`. */
  #head = 0;
  #scheduled = false;
  readonly #detach: () => void;

  constructor(options: AuditLakeOtelOptions = {}) {
    super(options);
    this.#detach = this.sink.attach(() => this.#drain(Infinity));
  }

  onEmit(logRecord: ReadWriteLogRecord): void {
    if (this.#pending.push(logRecord) - this.#head > MAX_PENDING_RECORDS) return this.#drain(SLICE);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onTurn);
    }
  }

  override shutdown(): Promise<void> {
    this.#drain(Infinity);
    this.#detach();
    return super.shutdown();
  }

  override stats(): ReturnType<SinkComponent['stats']> {
    this.#drain(Infinity);
    return super.stats();
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false;
    this.#drain(SLICE);
    if (this.#pending.length > this.#head) {
      this.#scheduled = true;
      setImmediate(this.#onTurn);
    }
  };

  /** Hands up to `count` waiting records to the sink, oldest first. */
  #drain(count: number): void {
    const pending = this.#pending;
    const end = Math.min(pending.length, this.#head + count);
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
  }
}
