import auditLakeTransport from './transport.js';

export default auditLakeTransport;
export type { AuditLakePinoOptions, PinoLineMapper } from './options.js';
export { toAuditLogRecord } from './to-audit-log-record.js';
export type { PinoConfig, PinoLine } from './to-audit-log-record.js';
