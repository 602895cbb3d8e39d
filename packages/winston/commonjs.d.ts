// The package's types as seen from CommonJS (scripts/commonjs-types.mjs copies this file to
// dist/cjs/index.d.ts, next to CommonJS copies of the other declarations). Node's require() of
// this ES module returns its "module.exports" export: the transport class, carrying the named
// exports as properties.
import { AuditLakeTransport as Transport } from './transport.js';
import type { AuditLakeTransportOptions as Options } from './options.js';
import type { toAuditLogRecord as convert } from './to-audit-log-record.js';

declare const AuditLakeTransport: typeof Transport & {
  readonly AuditLakeTransport: typeof Transport;
  readonly toAuditLogRecord: typeof convert;
  readonly default: typeof Transport;
};
type AuditLakeTransport = Transport;
declare namespace AuditLakeTransport {
  type AuditLakeTransport = Transport;
  type AuditLakeTransportOptions = Options;
}
export = AuditLakeTransport;
