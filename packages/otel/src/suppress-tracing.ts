import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { PutAuditEventsSend } from '@auditlake/core';

/**
 * Wraps a PutAuditEvents call so that it runs with tracing suppressed. The components apply it
 * to the sinks they create; pass it as core's `wrapSend` to a sink you create yourself and share.
 */
export function suppressTracingSend(send: PutAuditEventsSend): PutAuditEventsSend {
  return (input, options) => context.with(suppressTracing(context.active()), () => send(input, options));
}
