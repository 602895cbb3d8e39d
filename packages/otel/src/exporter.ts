import type { DeliveryReport } from '@auditlake/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SinkComponent } from './sink-component.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

// The result type comes through the user's own SDK (its @opentelemetry/core), and the codes are
// the values of core's ExportResultCode in 2.x and 3.x: importing core here would pin one generation.
type ExportResultCallback = Parameters<LogRecordExporter['export']>[1];
type ExportResult = Parameters<ExportResultCallback>[0];
const SUCCESS = 0 as ExportResult['code'];
const FAILED = 1 as ExportResult['code'];

/**
 * A `LogRecordExporter` for the SDK's `BatchLogRecordProcessor` or `SimpleLogRecordProcessor`.
 * Each export sends its audit records now (core splits them into service-sized requests) and
 * reports SUCCESS when none was dead-lettered. Note the batch processor's own queue drops
 * records silently when full; `AuditLakeLogRecordProcessor` does not.
 */
export class AuditLakeLogRecordExporter extends SinkComponent implements LogRecordExporter {
  export(logs: ReadableLogRecord[], resultCallback: ExportResultCallback): void {
    let called = false;
    const done = (result: ExportResult) => {
      if (called) return;
      called = true;
      try {
        resultCallback(result);
      } catch (error) {
        // The callback runs in a promise chain here: a throw would be an unhandled rejection.
        this.sink.diagnostics.error(`auditlake: the export result callback threw: ${String(error)}`);
      }
    };
    try {
      const records = Array.from(logs, toAuditLogRecord);
      this.sink.deliver(records).then(
        (report) => done(toResult(report, records.length)),
        (error: unknown) => done({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    } catch (error) {
      done({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
}

function toResult(report: DeliveryReport, total: number): ExportResult {
  if (report.deadLettered === 0) return { code: SUCCESS };
  return {
    code: FAILED,
    error: new Error(
      `auditlake: ${report.deadLettered} of ${total} log record(s) were dead-lettered (${report.delivered} delivered, ${report.skipped} not audit events)`,
    ),
  };
}
