import type { AuditSink, AuditSinkOptions, Diagnostics } from '@auditlake/core';
import type TransportStream from 'winston-transport';

/**
 * Options of `AuditLakeTransport`: core's `AuditSinkOptions` (channel, endpoint, credentials,
 * limits, dead letter, …; each documented there with its default), winston's usual transport
 * options, and the fields below.
 */
export interface AuditLakeTransportOptions
  extends AuditSinkOptions,
    Pick<TransportStream.TransportStreamOptions, 'level' | 'format' | 'silent' | 'handleExceptions' | 'handleRejections'> {
  /**
   * Where the sink reports about itself (delivery failures, dead letters, configuration faults),
   * besides `warn` events. Warnings and errors are always emitted as `warn` events carrying an
   * `Error` (winston re-emits them on the logger), never as `error`: an `error` nobody listens
   * to would crash the process. When this is not given and nothing listens to `warn` on the
   * transport or its logger, they go to core's default instead (process warnings on stderr).
   * @default `warn` events, else process warnings; debug output through `NODE_DEBUG=auditlake`
   */
  diagnostics?: Diagnostics;
  /**
   * A sink to feed instead of creating one, e.g. to share one queue with an OTel processor.
   * The sink options above are then ignored, and ending the transport only flushes it: its
   * owner shuts it down, and its diagnostics are its own.
   * @default a new sink created from these options, shut down when the transport ends
   */
  sink?: AuditSink;
  /**
   * Also flush when the process is about to exit on its own (`process.on('beforeExit')`), for
   * programs that never call `logger.end()`. Off by default: auditlake installs no process hooks
   * unless asked. It cannot help on `process.exit()` or a signal; `logger.end()` always works.
   * @default false
   */
  flushOnExit?: boolean;
}
