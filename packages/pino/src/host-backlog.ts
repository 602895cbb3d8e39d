import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AuditLakePinoOptions } from './options.js';

/**
 * pino's main thread never waits for its transport: `logger.info()` hands the line to
 * thread-stream, which keeps in the host's memory whatever the worker has not taken yet, without
 * bound. When the worker is slower than the application (an outage, where every line is mapped
 * and then dead-lettered or spooled), a flood of 200,000 records parked about 200 MiB there.
 *
 * The bound: the worker counts, in memory shared with the main thread, the characters of every
 * line its read loop has taken. The host's `write` counts what it hands over, and when more than
 * `maxBytes` are waiting it waits (Atomics.wait) until the worker has caught up, a line at a
 * time, so each wait lasts about as long as the worker needs for one line. The waits of one
 * event-loop turn share `maxWaitMs`; a worker that takes nothing for that long (its read loop is
 * held, or the main thread itself must move lines into the shared ring first) stops the waiting
 * until it moves again, and lines are buffered as pino does meanwhile. The event loop is
 * therefore never held longer than `maxWaitMs` per turn.
 */
export interface HostBacklogOptions {
  /**
   * Characters written and not yet taken by the worker before `write` waits. Small on purpose:
   * it also bounds the chunks thread-stream hands the worker. A chunk over V8's 128 KiB is a
   * large object, which outlives the young generation while its lines wait for the worker; in
   * the outage bench such chunks piled up as garbage in the worker (peak RSS +319 MiB with a
   * 16 MiB bound, +160 MiB with 256 KiB, +123 MiB with 120 KiB). One event-loop turn that logs
   * more than this waits once, at most `maxWaitMs`, then goes on unbounded for that turn.
   * @default 120 KiB
   */
  maxBytes?: number;
  /** How long the writes of one event-loop turn may wait for the worker in all. @default 20 */
  maxWaitMs?: number;
}

/** What a host bounds: pino's ThreadStream (or anything with the same `write`). */
export interface HostStream {
  write(data: string): boolean;
}

export interface HostBacklog {
  /** Goes to the worker as the `hostBacklog` option: `{ ...options, hostBacklog: backlog.shared }`. */
  readonly shared: SharedArrayBuffer;
  /** Makes `stream.write` wait while the worker is more than `maxBytes` behind; returns the stream. */
  bound<T extends HostStream>(stream: T): T;
  /** Characters written and not yet taken by the worker's read loop. */
  pending(): number;
}

const DEFAULT_MAX_BYTES = 120 * 1024;
const DEFAULT_MAX_WAIT_MS = 20;

export function hostBacklog(options: HostBacklogOptions = {}): HostBacklog {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0 && maxBytes < 2 ** 30)) throw new RangeError(`hostBacklog: maxBytes must be an integer from 1 to 2^30 - 1, got ${maxBytes}`);
  if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) throw new RangeError(`hostBacklog: maxWaitMs must be a number ≥ 0, got ${maxWaitMs}`);
  const shared = new SharedArrayBuffer(4);
  const taken = new Int32Array(shared);
  // Both counters wrap at 2^32; their difference is right while fewer than 2^31 are pending.
  let written = 0;
  // The count at which a wait timed out: no more waiting until the worker has moved past it.
  let stalledAt: number | undefined;
  // What this event-loop turn has waited so far: all waits of one turn share `maxWaitMs`.
  let waitedThisTurn = 0;
  let turnReset = false;
  const pending = () => (written - Atomics.load(taken, 0)) | 0;

  function waitForWorker(): void {
    if (!turnReset) {
      turnReset = true;
      setImmediate(() => {
        turnReset = false;
        waitedThisTurn = 0;
      }).unref();
    }
    const started = performance.now();
    const deadline = started + maxWaitMs - waitedThisTurn;
    try {
      for (;;) {
        const seen = Atomics.load(taken, 0);
        if (pending() <= maxBytes || seen === stalledAt) return;
        stalledAt = undefined;
        const left = deadline - performance.now();
        // This turn's budget is spent: go on, and wait again in a later turn.
        if (left <= 0) return;
        if (Atomics.wait(taken, 0, seen, left) === 'timed-out') {
          stalledAt = Atomics.load(taken, 0);
          return;
        }
      }
    } finally {
      waitedThisTurn += performance.now() - started;
    }
  }

  return {
    shared,
    pending,
    bound(stream) {
      // The stream's own write, called on the stream as pino would.
      const write = stream.write.bind(stream);
      stream.write = (data: string) => {
        written = (written + data.length) | 0;
        if (pending() > maxBytes) waitForWorker();
        return write(data);
      };
      return stream;
    },
  };
}

/** The worker's side of the count. */
export interface BacklogCounter {
  /** The loop has taken a line of `characters` (its newline included). */
  took(characters: number): void;
}

/** Counts what the worker's read loop has taken. A no-op without a shared counter. */
export function backlogCounter(shared: SharedArrayBuffer | undefined): BacklogCounter {
  if (shared === undefined) return { took: () => undefined };
  const taken = new Int32Array(shared);
  return {
    took(characters) {
      Atomics.add(taken, 0, characters);
      Atomics.notify(taken, 0);
    },
  };
}

/** pino's transport, as `pino.transport()` makes it. */
type PinoTransport = ReturnType<typeof import('pino').transport>;

/** Options of `transport()` besides the transport's own: the bound, and pino's `worker` options. */
export interface TransportOptions extends HostBacklogOptions {
  /** pino's `worker` options (Node's Worker options). @default `{ resourceLimits: { maxYoungGenerationSizeMb: 12 } }` */
  worker?: { resourceLimits?: Record<string, number | undefined>; [option: string]: unknown };
}

/**
 * The worker's young generation. V8 grows it to 32 MiB in a flood, beside the main thread's own;
 * 12 MiB took 20 MiB off the peak RSS of the outage bench and did not slow the worker. It is
 * not a limit on the worker's memory: what outlives it moves to the old generation.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/**
 * `pino.transport({ target: '@auditlake/pino', options })` with the host's buffer bounded: what
 * to give pino when an outage or a flood must not grow the process.
 */
export function transport(options: AuditLakePinoOptions = {}, more: TransportOptions = {}): PinoTransport {
  const { worker = {}, ...bounds } = more;
  const bounded = hostBacklog(bounds);
  const pino = createRequire(import.meta.url)('pino') as typeof import('pino');
  const target = fileURLToPath(new URL('./index.js', import.meta.url));
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, ...worker.resourceLimits };
  const stream = pino.transport({ target, options: { ...options, hostBacklog: bounded.shared }, worker: { ...worker, resourceLimits } });
  return bounded.bound(stream);
}
