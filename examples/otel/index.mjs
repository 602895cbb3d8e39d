// A service that logs its audit trail through the OpenTelemetry logs SDK.
// Run: node examples/otel/index.mjs (sends to AUDITLAKE_* or, by default, a local lake).
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { AuditLakeLogRecordProcessor } from '@auditlake/otel';
import { common, scenario, target } from '@auditlake/example-shared';

const destination = await target();
const processor = new AuditLakeLogRecordProcessor({ ...common, ...destination.options });
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'billing.example' }), // → eventSource
  processors: [processor],
});
const logger = provider.getLogger('billing');

for (const { level, message, audit } of scenario) {
  logger.emit({
    severityNumber: level === 'warn' ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: level.toUpperCase(),
    body: message,
    attributes: audit ? { audit, 'http.route': '/api' } : { 'http.route': '/healthz' },
  });
}

await provider.shutdown(); // flushes: every event is delivered or dead-lettered before this resolves
console.log('otel example:', JSON.stringify(processor.stats()));
await destination.close();
