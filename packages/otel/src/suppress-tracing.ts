import { context, createContextKey } from '@opentelemetry/api';
import type { PutAuditEventsSend } from '@auditlake/core';

/**
 * The key the SDK's `suppressTracing()` sets. It is a `Symbol.for()` of this exact text in
 * @opentelemetry/core 2.x and 3.x alike, so setting it here suppresses tracing for either SDK
 * generation without importing @opentelemetry/core, whose peer range would tie this package to
 * one generation of @opentelemetry/api.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/**
 * Wraps a PutAuditEvents call so that it runs with tracing suppressed. The components apply it
 * to the sinks they create; pass it as core's `wrapSend` to a sink you create yourself and share.
 */
export function suppressTracingSend(send: PutAuditEventsSend): PutAuditEventsSend {
  return (input, options) => context.with(context.active().setValue(SUPPRESS_TRACING_KEY, true), () => send(input, options));
}
