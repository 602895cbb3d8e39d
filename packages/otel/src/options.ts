import type { AuditSink, AuditSinkOptions } from '@auditlake/core';

/**
 * Options of `AuditLakeLogRecordExporter` and `AuditLakeLogRecordProcessor`: core's
 * `AuditSinkOptions` (channel, endpoint, credentials, limits, dead letter, …; each documented
 * there with its default), plus the fields below.
 */
export interface AuditLakeOtelOptions extends AuditSinkOptions {
  /**
   * A sink to feed instead of creating one, e.g. to share one queue between this component and
   * a winston transport. The other options are then ignored, `shutdown()` only flushes it (its
   * owner shuts it down), and its requests are traced unless it was created with
   * `wrapSend: suppressTracingSend`.
   * @default a new sink created from these options, owned and shut down by this component
   */
  sink?: AuditSink;
}
