import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { SinkComponent } from './sink-component.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

/**
 * A `LogRecordProcessor` that feeds each emitted record straight to the sink: no second queue
 * in front of core's bounded one, so a burst beyond it is dead-lettered with `QueueFull`
 * (and counted) instead of dropped silently, as the SDK's batch processor does. Records that
 * are not audit events are skipped by core and counted.
 */
export class AuditLakeLogRecordProcessor extends SinkComponent implements LogRecordProcessor {
  onEmit(logRecord: ReadWriteLogRecord): void {
    // Core maps synchronously, before later processors can change the record.
    this.sink.add(toAuditLogRecord(logRecord));
  }
}
