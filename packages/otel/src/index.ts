export { AuditLakeLogRecordExporter } from './exporter.js';
export { AuditLakeLogRecordProcessor } from './processor.js';
export type { AuditLakeOtelOptions } from './options.js';
export { suppressTracingSend } from './suppress-tracing.js';
export { toAuditLogRecord } from './to-audit-log-record.js';
