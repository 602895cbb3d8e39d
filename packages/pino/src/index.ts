import auditLakeTransport from './transport.js';
import { hostBacklog, transport } from './host-backlog.js';
import { reportPinoMetrics } from './stats-bridge.js';
import { toAuditLogRecord } from './to-audit-log-record.js';

export default auditLakeTransport;
export { toAuditLogRecord, reportPinoMetrics, transport, hostBacklog };
export type { HostBacklog, HostBacklogOptions, HostStream, TransportOptions } from './host-backlog.js';
export type { PinoMetricsOptions, StatsSource } from './stats-bridge.js';
export type { AuditLakePinoOptions, PinoLineMapper } from './options.js';
export type { PinoConfig, PinoLine } from './to-audit-log-record.js';

/**
 * What `require('@auditlake/pino')` returns (Node's require() of an ES module returns the
 * export named "module.exports"): the transport function, carrying the named exports too.
 * @internal
 */
const commonJs = Object.assign(auditLakeTransport, { toAuditLogRecord, reportPinoMetrics, transport, hostBacklog, default: auditLakeTransport });
/** @internal */
export { commonJs as 'module.exports' };
