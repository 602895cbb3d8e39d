// A small data-export service that writes its audit trail through pino into AWS CloudTrail Lake.
// Delivery runs in pino's worker thread.
//
// Run: npm install && node index.mjs
// With AUDITLAKE_CHANNEL_ARN (CloudTrail Lake), or AUDITLAKE_LOG_GROUP and AWS_REGION (CloudWatch
// Logs), set (and AWS credentials from the usual chain) it sends there. Without, it starts a
// local lake in this process (@auditlake/local), sends to it, and shows what arrived. This
// directory is a complete project: copy it anywhere.
import pino from 'pino';
import { transport as auditlake } from '@auditlake/pino';

class LegalHoldError extends Error {}

const lake = process.env.AUDITLAKE_CHANNEL_ARN || process.env.AUDITLAKE_LOG_GROUP ? undefined : await (await import('@auditlake/local')).startLocalLake({ quiet: true });
const destination = lake ? { channelArn: lake.channelArn, endpoint: lake.endpoint, credentials: lake.credentials } : {};
// The spool keeps every accepted event on disk until it is delivered: a crash, an exit or an
// outage loses nothing, and the next run sends what this one left. (AUDITLAKE_SPOOL_DIR overrides it.)
const spoolDir = process.env.AUDITLAKE_SPOOL_DIR ?? '.auditlake/spool';

// Options cross into the worker thread: plain data only.
// transport() is pino.transport({ target: '@auditlake/pino', options }) with the host's buffer bounded.
const transport = auditlake({ ...destination, spoolDir, redact: ['requestParameters.password'] });
const logger = pino({ name: 'exports.example' }, transport); // pino's name → eventSource

// A record is an audit event when it carries `audit`, in CloudTrail Lake's own field names.
logger.info({ audit: { eventName: 'ExportData', userIdentity: { principalId: 'bob' }, requestParameters: { dataset: 'customers', format: 'csv' }, responseElements: { rows: 1204 } } }, 'customer list exported');
logger.info({ audit: { eventName: 'CreateExportJob', userIdentity: { principalId: 'alice' }, requestParameters: { schedule: 'daily', password: 'hunter2' } } }, 'export job created');
logger.warn({ audit: { eventName: 'ExportData', userIdentity: { principalId: 'mallory' }, errorCode: 'AccessDenied', errorMessage: 'mallory may not export payroll' } }, 'export denied');
logger.info({ audit: { eventName: 'DownloadExport', userIdentity: { principalId: 'bob' }, sourceIPAddress: '198.51.100.23' } }, 'export downloaded');
logger.error({ audit: { eventName: 'DeleteExport', userIdentity: { principalId: 'carol' } }, err: new LegalHoldError('export is under legal hold') }, 'delete failed'); // err's type and message fill errorCode/errorMessage
logger.info({ audit: { eventName: 'ShareExport' }, 'user.id': 'alice', 'client.address': '198.51.100.7' }, 'export shared'); // user.id and client.address fill the gaps
logger.info('health check ok'); // not an audit event: skipped
logger.info({ audit: { eventName: 'RotateKey' } }, 'audit record without an actor'); // dead-lettered: FieldNotFound

// Resolves once the worker has delivered (or dead-lettered) everything logged before it. The
// process may then simply end: pino ends the worker at exit.
await new Promise((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
console.log('pino example: flushed');

if (lake) {
  console.table(await lake.query(`SELECT eventData.userIdentity.principalId AS principal, eventData.eventName AS action, eventData.errorCode AS error FROM ${lake.eventDataStoreId} ORDER BY eventData.eventTime, principal`));
  await lake.close();
}
