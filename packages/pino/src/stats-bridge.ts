import { parentPort } from 'node:worker_threads';
import { defaultDiagnostics, type AuditSink, type AuditSinkStats, type MeterProviderLike } from '@auditlake/core';
// Not in the declarations this package publishes: node10 resolution cannot reach a subpath.
import { registerSinkMetrics } from '@auditlake/core/internal';

/**
 * The sink's stats, from pino's worker thread to the application's, where its MeterProvider is.
 * thread-stream emits a worker's `{ code: 'EVENT', name, args }` message as `name` on the
 * ThreadStream that `pino.transport()` returned; `reportPinoMetrics` listens to it there.
 */
export const STATS_EVENT = 'auditlake:stats';

/** What the worker posts: one sink's stats (`sink` tells apart several targets of one transport), and what its metrics say of its options. */
export interface StatsMessage {
  sink: number;
  stats: AuditSinkStats;
  /** The sink is shut down: these are its final values. */
  closed: boolean;
  /** `maxQueueEvents`, when it bounds the queue (not with a spool). */
  queueCapacity: number | undefined;
  /** The endpoint of the built-in client. */
  endpoint: string | undefined;
}

const POST_INTERVAL_MS = 1000;
let sinks = 0;

/**
 * In the worker: posts the sink's stats every second (on a timer that keeps nothing alive), and
 * at `post()` (after a flush, so that the application reads fresh values once it returns) and
 * `close()` (the final values). Outside a worker, nothing. A failure to post is ignored: it must
 * never reach the transport's stream.
 */
export function statsBridge(sink: AuditSink, shape: Pick<StatsMessage, 'queueCapacity' | 'endpoint'>): { post(): void; close(): void } {
  const port = parentPort;
  if (port === null) return { post: () => {}, close: () => {} };
  const id = sinks++;
  let closed = false;
  const send = () => {
    try {
      const message: StatsMessage = { sink: id, stats: sink.stats(), closed, ...shape };
      port.postMessage({ code: 'EVENT', name: STATS_EVENT, args: [message] });
    } catch {
      // The port is closed, or the main thread is gone: there is nobody left to report to.
    }
  };
  const timer = setInterval(send, POST_INTERVAL_MS);
  timer.unref();
  return {
    post: () => {
      if (!closed) send();
    },
    close: () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      send();
    },
  };
}

/** Options of `reportPinoMetrics`. */
export interface PinoMetricsOptions {
  /** A MeterProvider; by default the one registered globally with `@opentelemetry/api` (none: nothing is reported); `false` for none. */
  meterProvider?: MeterProviderLike | false;
}

/** The part of pino's ThreadStream (what `pino.transport()` returns) used here. */
export interface StatsSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Reports the self-metrics of the `@auditlake/pino` sinks that run in `transport`'s worker thread
 * through the application's MeterProvider, as core reports those of the other front ends: each
 * collection reads the latest stats the worker sent (every second, after each `logger.flush()`,
 * and once more when the sink has shut down). Nothing is reported before the first ones arrive,
 * nor without a registered MeterProvider. Returns a function that stops it.
 */
export function reportPinoMetrics(transport: StatsSource, options: PinoMetricsOptions = {}): () => void {
  const reported = new Map<number, { latest: StatsMessage; stop: () => void }>();
  const listener = (message: unknown) => {
    if (!isStatsMessage(message)) return;
    const known = reported.get(message.sink);
    if (known) {
      known.latest = message;
      return;
    }
    const entry = { latest: message, stop: () => {} };
    reported.set(message.sink, entry);
    entry.stop = registerSinkMetrics({
      meterProvider: options.meterProvider,
      stats: () => entry.latest.stats,
      closed: () => entry.latest.closed,
      queueCapacity: message.queueCapacity,
      endpoint: message.endpoint,
      debug: (text) => defaultDiagnostics.debug(text),
    });
  };
  transport.on(STATS_EVENT, listener);
  return () => {
    transport.off(STATS_EVENT, listener);
    for (const entry of reported.values()) entry.stop();
    reported.clear();
  };
}

function isStatsMessage(value: unknown): value is StatsMessage {
  const message = value as Partial<StatsMessage> | null;
  return typeof message === 'object' && message !== null && typeof message.sink === 'number' && typeof message.stats === 'object' && message.stats !== null;
}
