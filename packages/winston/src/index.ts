import { AuditLakeTransport } from './transport.js';

export { AuditLakeTransport };
export type { AuditLakeTransportOptions } from './options.js';
export { toAuditLogRecord } from './to-audit-log-record.js';
export default AuditLakeTransport;
