// The package's types as seen from CommonJS (scripts/commonjs-types.mjs copies this file to
// dist/cjs/index.d.ts, next to CommonJS copies of the other declarations). Node's require() of
// this ES module returns its "module.exports" export: the transport function, carrying the
// named exports as properties.
import type transport from './transport.js';
import type { AuditLakePinoOptions as Options, PinoLineMapper as Mapper } from './options.js';
import type { PinoMetricsOptions as MetricsOptions, StatsSource as Source, reportPinoMetrics as report } from './stats-bridge.js';
import type { PinoConfig as Config, PinoLine as Line, toAuditLogRecord as convert } from './to-audit-log-record.js';

declare const auditLakeTransport: typeof transport & {
  readonly toAuditLogRecord: typeof convert;
  readonly reportPinoMetrics: typeof report;
  readonly default: typeof transport;
};
declare namespace auditLakeTransport {
  type AuditLakePinoOptions = Options;
  type PinoLineMapper = Mapper;
  type PinoConfig = Config;
  type PinoLine = Line;
  type PinoMetricsOptions = MetricsOptions;
  type StatsSource = Source;
}
export = auditLakeTransport;
