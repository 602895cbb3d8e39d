import { type AuditLogRecord, type AuditSink, type DeadLetter, type DeadLetterHandler } from '@auditlake/core';
import { createResolvedSink, resolveAuditSinkOptions, sinkMetricsShape } from '@auditlake/core/internal';
import build from 'pino-abstract-transport';
import { appendDeadLetter, fallbackDeadLetterFile } from './dead-letter-file.js';
import { drainTracker } from './drain-tracker.js';
import { backlogCounter } from './host-backlog.js';
import { loadHooks, PINO_SHUTDOWN_TIMEOUT_MS, validatePinoOptions, type AuditLakePinoOptions, type PinoLineMapper } from './options.js';
import { statsBridge } from './stats-bridge.js';
import { toAuditLogRecord, type PinoConfig, type PinoLine } from './to-audit-log-record.js';
import { CONFIGURATION_ERROR, unconfiguredTransport } from './unconfigured-transport.js';
import { workerDiagnostics } from './worker-diagnostics.js';

/**
 * The transport, run by pino in its worker thread:
 * `pino.transport({ target: '@auditlake/pino', options })`, alone or as one of `targets`.
 *
 * Nothing here may fail the stream: an 'error' on it becomes an 'error' on pino's ThreadStream
 * in the host's main thread, which nobody listens to, so the host would crash. Bad options
 * therefore do not throw: they are reported on stderr, and every audit record is dead-lettered
 * with `ConfigurationError` until the options are fixed. pino's exit handling ends the stream,
 * and `close` waits for the sink's shutdown.
 */
export default function auditLakeTransport(options?: AuditLakePinoOptions) {
  let validated: AuditLakePinoOptions;
  let sink: AuditSink;
  let deadLetter: DeadLetterHandler | undefined;
  let stats: ReturnType<typeof statsBridge>;
  try {
    validated = validatePinoOptions(options);
    // `$context` and `pinoWillSendConfig` are pino's own, added to every transport's options.
    const { deadLetterModule, mapModule: _mapModule, hostBacklog: _hostBacklog, $context: _context, pinoWillSendConfig: _config, ...sinkOptions } = validated as AuditLakePinoOptions & { $context?: unknown; pinoWillSendConfig?: unknown };
    const hooked = deadLetterModule === undefined ? {} : { deadLetter: (letter: DeadLetter) => (deadLetter ?? toFallbackFile(validated))(letter) };
    const resolved = resolveAuditSinkOptions({ shutdownTimeoutMs: PINO_SHUTDOWN_TIMEOUT_MS, ...sinkOptions, ...hooked, diagnostics: workerDiagnostics });
    sink = createResolvedSink(resolved);
    // The application's MeterProvider is not in this thread: the stats go to the main thread (reportPinoMetrics).
    stats = statsBridge(sink, sinkMetricsShape(resolved));
  } catch (error) {
    return unconfiguredTransport(options, error);
  }
  const hooks = loadHooks(validated);
  const backlog = backlogCounter(validated.hostBacklog);

  // build() is called without awaiting anything first: with several targets, pino's config
  // message reaches only the listeners present when the worker's port starts delivering.
  return build(
    async (source) => {
      const drained = drainTracker(source);
      // thread-stream calls this in the worker for `logger.flush(cb)`, once every line written
      // before it is in `source`: wait until the loop has taken them, then for their delivery.
      // Set before the first await: pino may flush as soon as the worker is ready.
      // The stats go out before pino's flush callback: the application reads them fresh.
      Object.assign(source, { flush: () => drained.wait().then(() => sink.flush()).then(() => stats.post()) });
      const { map, problems, ...loaded } = await hooks;
      // The sink works, a hook does not. Without the mapModule no line can be mapped as the user
      // meant, so each one is kept as a dead letter; without the deadLetterModule, letters go
      // to the dead-letter file.
      const unmappable = problems.mapModule?.message;
      deadLetter = loaded.deadLetter ?? toFallbackFile(validated);
      for (const [option, problem] of Object.entries(problems)) {
        const outcome = option === 'mapModule' ? `every line is dead-lettered with ${CONFIGURATION_ERROR}` : `dead letters go to ${fallbackDeadLetterFile(validated.deadLetter)}`;
        workerDiagnostics.error(`auditlake: the pino transport cannot load its ${option}: ${problem.message}; ${outcome} until it is fixed.`);
      }
      const config = source as unknown as PinoConfig;
      const unknownLines = unknownLineReporter(sink);
      drained.check();
      for await (const text of source as AsyncIterable<string>) {
        // A line that is not JSON is reported (once) and ignored, as pino-abstract-transport does.
        const line = parseLine(text, unknownLines);
        if (line !== undefined && unmappable !== undefined) sink.reject(line, CONFIGURATION_ERROR, unmappable);
        else if (line !== undefined) {
          const record = convert(line, config, map, sink);
          if (record !== undefined) sink.add(record);
        }
        backlog.took(text.length + 1);
        const wait = sink.waitForCapacity();
        if (wait !== undefined) await drained.hold(wait);
        drained.check();
      }
      drained.end();
    },
    {
      expectPinoConfig: true,
      // The loop takes each line as text: it counts its length for the host's bound
      // (hostBacklog) and parses it itself. parseLine only has to hand pino-abstract-transport
      // an object, or it would wrap every line in one.
      parse: 'lines',
      parseLine: () => PASS_AS_TEXT,
      // Never rethrow: pino-abstract-transport would emit it as the stream's 'error'.
      close: async (error: Error | null) => {
        if (error) workerDiagnostics.error(`auditlake: the pino transport's stream failed (${error.message}); flushing what it holds`);
        await sink.shutdown();
        stats.close();
      },
    },
  );
}

/** What parseLine answers for every line in `parse: 'lines'` mode, where the line itself is passed on. */
const PASS_AS_TEXT = Object.freeze({});

/** Reports the first line that is not JSON (or is `null`), as a warning. */
function unknownLineReporter(sink: AuditSink) {
  let seen = 0;
  return (text: string, problem: string) => {
    if (seen++ === 0) sink.diagnostics.warn(`auditlake: pino sent a line that is not JSON, ignored (${problem}): ${text.slice(0, 200)}`);
  };
}

/** A line as pino-abstract-transport would parse it: JSON; a value that is not an object is wrapped; `null` and bad JSON are reported. */
function parseLine(text: string, unknown: (text: string, problem: string) => void): PinoLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    unknown(text, String(error));
    return undefined;
  }
  if (value === null) {
    unknown(text, 'Null value ignored');
    return undefined;
  }
  return (typeof value === 'object' ? value : { data: value, time: Date.now() }) as PinoLine;
}

/** The record for a line; a `mapModule` that throws has the line dead-lettered (`MappingFailed`) instead. */
function convert(line: PinoLine, config: PinoConfig, map: PinoLineMapper | undefined, sink: AuditSink): AuditLogRecord | undefined {
  const standard = (value: PinoLine) => toAuditLogRecord(value, config);
  if (map === undefined) return standard(line);
  try {
    // "Not an audit event": an empty record, which core skips and counts.
    return map(line, standard) ?? {};
  } catch (error) {
    sink.reject(line, 'MappingFailed', `mapModule threw: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function toFallbackFile(options: AuditLakePinoOptions): DeadLetterHandler {
  const path = fallbackDeadLetterFile(options.deadLetter);
  return (letter) => appendDeadLetter(path, letter);
}
