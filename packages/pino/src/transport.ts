import { createAuditSink, type AuditLogRecord, type AuditSink, type DeadLetterHandler } from '@auditlake/core';
import build from 'pino-abstract-transport';
import { loadHooks, validatePinoOptions, type AuditLakePinoOptions, type PinoLineMapper } from './options.js';
import { toAuditLogRecord, type PinoConfig, type PinoLine } from './to-audit-log-record.js';

/**
 * The transport, run by pino in its worker thread:
 * `pino.transport({ target: '@auditlake/pino', options })`, alone or as one of `targets`.
 * Every line is handled inside the loop (a bad line never stops it); pino's exit handling
 * ends the stream, and `close` waits for the sink's shutdown.
 */
export default function auditLakeTransport(options?: AuditLakePinoOptions) {
  const validated = validatePinoOptions(options);
  // `$context` and `pinoWillSendConfig` are pino's own, added to every transport's options.
  const { deadLetterModule, mapModule: _mapModule, $context: _context, pinoWillSendConfig: _config, ...sinkOptions } = validated as typeof validated & { $context?: unknown; pinoWillSendConfig?: unknown };
  let deadLetter: DeadLetterHandler = (letter) => void process.stderr.write(`${JSON.stringify(letter)}\n`);
  const sink = createAuditSink(deadLetterModule === undefined ? sinkOptions : { ...sinkOptions, deadLetter: (letter) => deadLetter(letter) });
  const hooks = loadHooks(validated);
  // Awaited once pino's config has arrived; until then a failure must not count as unhandled.
  hooks.catch(() => {});

  // build() is called without awaiting anything first: with several targets, pino's config
  // message reaches only the listeners present when the worker's port starts delivering.
  return build(
    async (source) => {
      let blocked = true;
      // thread-stream calls this in the worker for `logger.flush(cb)`, once the lines are written
      // to us: wait until the loop has taken all of them, then for their delivery. Set before
      // the first await: pino may flush as soon as the worker is ready.
      Object.assign(source, {
        flush: async () => {
          do await new Promise((resolve) => setImmediate(resolve));
          while (blocked || source.readableLength > 0 || source.writableLength > 0);
          await sink.flush();
        },
      });
      const loaded = await hooks.finally(() => (blocked = false));
      if (loaded.deadLetter) deadLetter = loaded.deadLetter;
      const config = source as unknown as PinoConfig;
      let unknownLines = 0;
      source.on('unknown', (line: string, error: unknown) => {
        if (unknownLines++ === 0) sink.diagnostics.warn(`auditlake: pino sent a line that is not JSON, ignored (${String(error)}): ${line.slice(0, 200)}`);
      });
      for await (const line of source as AsyncIterable<PinoLine>) {
        const record = convert(line, config, loaded.map, sink);
        if (record !== undefined) sink.add(record);
        const wait = sink.waitForCapacity();
        if (wait !== undefined) {
          blocked = true;
          await wait;
          blocked = false;
        }
      }
    },
    {
      expectPinoConfig: true,
      // pino-abstract-transport passes the stream's error here and completes the destroy with
      // what this promise settles to: rethrow, or the error (a bad hook module) is swallowed.
      close: async (error: Error | null) => {
        await sink.shutdown();
        if (error) throw error;
      },
    },
  );
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
