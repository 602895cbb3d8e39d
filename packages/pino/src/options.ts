import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError, type AuditLogRecord, type AuditSinkOptions, type AwsCredentials, type DeadLetterHandler } from '@auditlake/core';
import type { PinoLine } from './to-audit-log-record.js';

/**
 * Options of the pino transport. They cross into pino's worker thread by structured clone, so
 * they are plain data: core's `AuditSinkOptions` (documented there with their defaults, and
 * read from the worker's copy of the `AUDITLAKE_*` environment) without the ones that are
 * functions, plus module paths for what would be functions.
 */
export interface AuditLakePinoOptions extends Omit<AuditSinkOptions, 'send' | 'wrapSend' | 'diagnostics' | 'deadLetter' | 'credentials' | 'env'> {
  /** Static credentials; a provider function cannot cross the worker boundary. @default the AWS SDK's Node default provider chain, run in the worker */
  credentials?: AwsCredentials;
  /** A JSON Lines file for dead letters. Environment: `AUDITLAKE_DEAD_LETTER`. @default `./auditlake-dead-letter.jsonl` */
  deadLetter?: string;
  /**
   * Path (absolute, relative to the working directory, or a `file:` URL) of a module whose
   * default export `(letter: DeadLetter) => void` receives dead letters, in the worker thread.
   * Not together with `deadLetter`. @default none: dead letters go to `deadLetter`
   */
  deadLetterModule?: string;
  /**
   * Path of a module whose default export `(line, convert) => AuditLogRecord | undefined` turns
   * a parsed pino line into core's record, replacing the built-in conversion (`convert(line)`
   * runs it, to build on). `undefined` means "not an audit event"; a throw dead-letters the line.
   * @default the built-in conversion
   */
  mapModule?: string;
  /**
   * Memory shared with the main thread, where the worker counts what its read loop has taken,
   * so that the host can bound what it buffers for the worker. Set by `transport()`, or by hand
   * with `hostBacklog()` when `@auditlake/pino` is one of several `targets`. @default none
   */
  hostBacklog?: SharedArrayBuffer;
  /** As in core, but at most 9000: pino stops waiting for its transport after 10 s at exit. @default 5000 */
  shutdownTimeoutMs?: number;
}

/** A `mapModule`'s default export. */
export type PinoLineMapper = (line: PinoLine, convert: (line: PinoLine) => AuditLogRecord) => AuditLogRecord | undefined;

/** thread-stream's `end()` gives up on the worker after 10 s. */
const MAX_SHUTDOWN_TIMEOUT_MS = 9000;
/**
 * pino's default, shorter than core's: thread-stream's 10 s count from `end()`, and the worker
 * first reads what the ring buffer still holds, then shuts the sink down, then writes its dead
 * letters. Past 10 s thread-stream throws in the host. `await logger.flush()` has no such bound.
 */
export const PINO_SHUTDOWN_TIMEOUT_MS = 5000;

/** Checks the pino-specific options; core checks its own when the sink is created. */
export function validatePinoOptions(options: unknown): AuditLakePinoOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new ConfigurationError('options', 'an object', options);
  const o = options as AuditLakePinoOptions;
  for (const name of ['deadLetterModule', 'mapModule'] as const) {
    if (o[name] !== undefined && (typeof o[name] !== 'string' || o[name].length === 0)) {
      throw new ConfigurationError(name, 'a module path (absolute, relative to the working directory, or a file: URL)', o[name]);
    }
  }
  if (o.hostBacklog !== undefined && !(o.hostBacklog instanceof SharedArrayBuffer && o.hostBacklog.byteLength >= 4)) {
    throw new ConfigurationError('hostBacklog', "a SharedArrayBuffer from @auditlake/pino's hostBacklog()", o.hostBacklog);
  }
  if (o.deadLetterModule !== undefined && o.deadLetter !== undefined) {
    throw new ConfigurationError('deadLetterModule', 'not to be given together with deadLetter', o.deadLetterModule);
  }
  if (typeof o.shutdownTimeoutMs === 'number' && o.shutdownTimeoutMs > MAX_SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigurationError('shutdownTimeoutMs', `at most ${MAX_SHUTDOWN_TIMEOUT_MS} (pino ends its transport after 10 s)`, o.shutdownTimeoutMs);
  }
  return o;
}

/** The hooks the options name, each imported on its own; a bad module is a `ConfigurationError` naming its option. */
export interface LoadedHooks {
  map?: PinoLineMapper;
  deadLetter?: DeadLetterHandler;
  /** Why a hook could not be loaded, per option. */
  problems: { mapModule?: Error; deadLetterModule?: Error };
}

/** Never rejects: what could not be loaded is in `problems`. */
export async function loadHooks(options: AuditLakePinoOptions): Promise<LoadedHooks> {
  const [map, deadLetter] = await Promise.allSettled([
    options.mapModule === undefined ? undefined : importFunction<PinoLineMapper>('mapModule', options.mapModule, '(line, convert) => AuditLogRecord | undefined'),
    options.deadLetterModule === undefined ? undefined : importFunction<DeadLetterHandler>('deadLetterModule', options.deadLetterModule, '(letter) => void'),
  ]);
  const hooks: LoadedHooks = { problems: {} };
  if (map.status === 'rejected') hooks.problems.mapModule = asError(map.reason);
  else if (map.value) hooks.map = map.value;
  if (deadLetter.status === 'rejected') hooks.problems.deadLetterModule = asError(deadLetter.reason);
  else if (deadLetter.value) hooks.deadLetter = deadLetter.value;
  return hooks;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

async function importFunction<T>(option: string, specifier: string, shape: string): Promise<T> {
  let module: unknown;
  try {
    module = await import(moduleUrl(specifier));
  } catch (error) {
    throw new ConfigurationError(option, `a module that can be imported (${error instanceof Error ? error.message : String(error)})`, specifier);
  }
  // A transpiled CommonJS module may nest its default export once more.
  let fn = (module as { default?: unknown }).default;
  if (typeof fn === 'object' && fn !== null) fn = (fn as { default?: unknown }).default;
  if (typeof fn !== 'function') throw new ConfigurationError(option, `a module whose default export is a function ${shape}`, specifier);
  return fn as T;
}

/** Paths are taken from the working directory (the worker's is the process's); bare names resolve from there too. */
function moduleUrl(specifier: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isAbsolute(specifier) || specifier.startsWith('.')) return pathToFileURL(resolve(specifier)).href;
  return pathToFileURL(createRequire(join(process.cwd(), 'noop.js')).resolve(specifier)).href;
}
