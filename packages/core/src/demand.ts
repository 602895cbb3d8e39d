import type { BatchLimits } from './destination.js';
import type { Ledger } from './ledger.js';

export interface DemandOptions {
  readonly limits: BatchLimits;
  readonly maxConcurrentRequests: number;
  /** Events held (queued or in flight) and their bytes. */
  readonly ledger: Pick<Ledger, 'heldEvents' | 'heldBytes'>;
  /**
   * Whether holding records back is pointless: a spool (what an adapter holds is not on disk
   * until it is added), a destination that is down (only the queue's bounds should decide then),
   * or a sink that is closing.
   */
  readonly unpaced: () => boolean;
}

/**
 * When the sink wants more events, for an adapter that keeps records in front of `add()` (the
 * OTel processor): while the requests it may run at once are busy and one more full batch waits
 * behind them, a record added now would only wait in the queue as an entry, next to the
 * adapter's own copy of it. A burst handed over whole makes every one of those entries at once
 * (20,000 records: 28 MB of entries, held through many collections); fed by demand, the sink
 * holds a few batches and the rest stays as the adapter's records until there is room.
 */
export class Demand {
  readonly #o: DemandOptions;
  #waiting: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: DemandOptions) {
    this.#o = options;
  }

  /** `undefined` when the sink wants more now; else a promise that resolves when that may have changed (a request ended, the sink is closing or down). */
  wait(): Promise<void> | undefined {
    if (this.#wanted()) return undefined;
    if (!this.#waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#waiting = { promise, resolve };
    }
    return this.#waiting.promise;
  }

  /** Something that may open room happened (a request ended or failed, shutdown began): waiting adapters look again. */
  changed(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    waiting.resolve();
  }

  #wanted(): boolean {
    if (this.#o.unpaced()) return true;
    // The requests that may run at once, one full batch ready behind them, and one being filled.
    const batches = this.#o.maxConcurrentRequests + 2;
    const { ledger, limits } = this.#o;
    return ledger.heldEvents < batches * limits.maxEvents && ledger.heldBytes < batches * limits.maxBytes;
  }
}
