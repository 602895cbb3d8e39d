// A small billing service that writes its audit trail through the OpenTelemetry logs SDK into
// AWS CloudTrail Lake.
//
// Run: npm install && node index.mjs
// With AUDITLAKE_CHANNEL_ARN (CloudTrail Lake), or AUDITLAKE_LOG_GROUP and AWS_REGION (CloudWatch
// Logs), set (and AWS credentials from the usual chain) it sends there. Without, it starts a
// local lake in this process (@auditlake/local), sends to it, and shows what arrived. This
// directory is a complete project: copy it anywhere.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { AuditLakeLogRecordProcessor } from '@auditlake/otel';

const lake = process.env.AUDITLAKE_CHANNEL_ARN || process.env.AUDITLAKE_LOG_GROUP ? undefined : await (await import('@auditlake/local')).startLocalLake({ quiet: true });
const destination = lake ? { channelArn: lake.channelArn, endpoint: lake.endpoint, credentials: lake.credentials } : {};
// The spool keeps every accepted event on disk until it is delivered: a crash, an exit or an
// outage loses nothing, and the next run sends what this one left. (AUDITLAKE_SPOOL_DIR overrides it.)
const spoolDir = process.env.AUDITLAKE_SPOOL_DIR ?? '.auditlake/spool';

const processor = new AuditLakeLogRecordProcessor({ ...destination, spoolDir, redact: ['requestParameters.password'] });
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'billing.example' }), // → eventSource
  processors: [processor],
});
const logger = provider.getLogger('billing');
// Severity numbers of the logs data model (INFO 9, WARN 13), the same in every SDK generation.
const info = (body, attributes) => logger.emit({ severityNumber: 9, severityText: 'INFO', body, attributes });
const warn = (body, attributes) => logger.emit({ severityNumber: 13, severityText: 'WARN', body, attributes });

// A record is an audit event when it carries `audit`, in CloudTrail Lake's own field names.
info('invoice paid', { audit: { eventName: 'PayInvoice', userIdentity: { principalId: 'alice' }, requestParameters: { invoice: 'INV-1001', amount: 120 } }, 'http.route': '/invoices/pay' });
info('card added', { audit: { eventName: 'AddPaymentMethod', userIdentity: { principalId: 'bob' }, requestParameters: { card: '**** 4242', password: 'hunter2' } } });
warn('payment declined', { audit: { eventName: 'PayInvoice', userIdentity: { principalId: 'bob' }, errorCode: 'CardDeclined', errorMessage: 'insufficient funds' } });
info('refund issued', { audit: { eventName: 'IssueRefund', userIdentity: { principalId: 'alice' }, responseElements: { refund: 'RF-77' } } });
info('plan changed', { 'audit.eventName': 'ChangePlan', 'audit.userIdentity.principalId': 'carol', 'audit.requestParameters.plan': 'pro' }); // flat keys mean the same
warn('export denied', { audit: { eventName: 'ExportInvoices', errorCode: 'AccessDenied', errorMessage: 'mallory may not export invoices' }, 'user.id': 'mallory' }); // user.id fills the principal
info('health check ok', { 'http.route': '/healthz' }); // not an audit event: skipped
info('audit record without an actor', { audit: { eventName: 'RotateKey' } }); // dead-lettered: FieldNotFound

await provider.shutdown(); // resolves once every record is delivered or dead-lettered
console.log('otel example:', JSON.stringify(processor.stats()));

if (lake) {
  console.table(await lake.query(`SELECT eventData.userIdentity.principalId AS principal, eventData.eventName AS action, eventData.errorCode AS error FROM ${lake.eventDataStoreId} ORDER BY eventData.eventTime, principal`));
  await lake.close();
}
