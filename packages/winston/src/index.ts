import { AuditLakeTransport } from './transport.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

export { AuditLakeTransport, toAuditLogRecord };
export type { AuditLakeTransportOptions } from './options.js';
export default AuditLakeTransport;

/**
 * What `require('@auditlake/winston')` returns (Node's require() of an ES module returns the
 * export named "module.exports"): the transport class, as winston transports are usually
 * required, carrying the named exports too, the way CommonJS packages do it.
 * @internal
 */
const commonJs = Object.assign(AuditLakeTransport, { AuditLakeTransport, toAuditLogRecord, default: AuditLakeTransport });
/** @internal */
export { commonJs as 'module.exports' };
